import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { parseKernelVersion, parseSeccompProfile } from "../../lib/seccomp/profile.ts";
import { formatError, UsageError } from "../../lib/errors.ts";

const OK_RULE = { names: ["read"], action: "SCMP_ACT_ALLOW" };

/** A profile whose fourth rule (syscalls[3]) is `bad`, merged with `top`. */
function profileWith(bad: unknown, top: Record<string, unknown> = {}): string {
  return JSON.stringify({
    defaultAction: "SCMP_ACT_ERRNO",
    syscalls: [OK_RULE, OK_RULE, OK_RULE, bad],
    ...top,
  });
}

/** The one line a malformed profile gives. */
function errorLine(text: string): string {
  const err = assertThrows(() => parseSeccompProfile(text, "p.json"), UsageError);
  const line = formatError(err);
  assertEquals(line.split("\n").length, 1, `expected one line, got ${JSON.stringify(line)}`);
  return line;
}

const rule = (extra: Record<string, unknown>) => ({ ...OK_RULE, ...extra });
const arg = (extra: Record<string, unknown>) => ({
  args: [{ index: 0, value: 1, valueTwo: 0, op: "SCMP_CMP_EQ", ...extra }],
});

const MALFORMED: [string, string, string][] = [
  ["bad JSON", "{", "tsbox: seccomp profile p.json: invalid JSON: "],
  ["not an object", "[]", "tsbox: seccomp profile p.json: expected an object, got an array"],
  [
    "missing defaultAction",
    JSON.stringify({ syscalls: [] }),
    "tsbox: seccomp profile p.json: defaultAction: missing",
  ],
  [
    "unknown default action",
    JSON.stringify({ defaultAction: "SCMP_ACT_NOPE" }),
    'tsbox: seccomp profile p.json: defaultAction: unknown action "SCMP_ACT_NOPE"',
  ],
  [
    "unknown action",
    profileWith(rule({ action: "SCMP_ACT_FOO" })),
    'tsbox: seccomp profile p.json: syscalls[3].action: unknown action "SCMP_ACT_FOO"',
  ],
  [
    "missing action",
    profileWith({ names: ["read"] }),
    "tsbox: seccomp profile p.json: syscalls[3].action: missing",
  ],
  [
    "notify refused",
    profileWith(rule({ action: "SCMP_ACT_NOTIFY" })),
    "tsbox: seccomp profile p.json: syscalls[3].action: SCMP_ACT_NOTIFY is not supported (tsbox has no notify listener)",
  ],
  [
    "bad op",
    profileWith(rule(arg({ op: "SCMP_CMP_ALMOST" }))),
    'tsbox: seccomp profile p.json: syscalls[3].args[0].op: unknown operator "SCMP_CMP_ALMOST"',
  ],
  [
    "missing op",
    profileWith(rule({ args: [{ index: 0, value: 1 }] })),
    "tsbox: seccomp profile p.json: syscalls[3].args[0].op: missing",
  ],
  [
    "index > 5",
    profileWith(rule(arg({ index: 6 }))),
    "tsbox: seccomp profile p.json: syscalls[3].args[0].index: 6 is out of range 0..5",
  ],
  [
    "negative value",
    profileWith(rule(arg({ value: -1 }))),
    "tsbox: seccomp profile p.json: syscalls[3].args[0].value: -1 is out of range 0..9007199254740991",
  ],
  [
    "inexact value",
    profileWith(rule(arg({ valueTwo: 18446744073709551615 }))),
    "tsbox: seccomp profile p.json: syscalls[3].args[0].valueTwo: 18446744073709552000 is too large to be exact (limit 2^53-1)",
  ],
  [
    "fractional value",
    profileWith(rule(arg({ value: 1.5 }))),
    "tsbox: seccomp profile p.json: syscalls[3].args[0].value: expected an integer, got 1.5",
  ],
  [
    "unknown arg field",
    profileWith(rule(arg({ mask: 1 }))),
    "tsbox: seccomp profile p.json: syscalls[3].args[0].mask: unknown field",
  ],
  [
    "unknown rule field",
    profileWith(rule({ nmaes: ["x"] })),
    "tsbox: seccomp profile p.json: syscalls[3].nmaes: unknown field",
  ],
  [
    "unknown top field",
    profileWith(OK_RULE, { defaultActoin: "SCMP_ACT_ALLOW" }),
    "tsbox: seccomp profile p.json: defaultActoin: unknown field",
  ],
  [
    "errnoRet with ALLOW",
    profileWith(rule({ errnoRet: 1 })),
    "tsbox: seccomp profile p.json: syscalls[3].errnoRet: not allowed with SCMP_ACT_ALLOW (only SCMP_ACT_ERRNO, SCMP_ACT_TRACE)",
  ],
  [
    "errnoRet out of range",
    profileWith(rule({ action: "SCMP_ACT_ERRNO", errnoRet: 70000 })),
    "tsbox: seccomp profile p.json: syscalls[3].errnoRet: 70000 is out of range 0..4095",
  ],
  [
    "defaultErrnoRet with KILL",
    JSON.stringify({ defaultAction: "SCMP_ACT_KILL", defaultErrnoRet: 1 }),
    "tsbox: seccomp profile p.json: defaultErrnoRet: not allowed with SCMP_ACT_KILL (only SCMP_ACT_ERRNO, SCMP_ACT_TRACE)",
  ],
  [
    "unknown errno name",
    profileWith(rule({ action: "SCMP_ACT_ERRNO", errno: "EWHATEVER" })),
    'tsbox: seccomp profile p.json: syscalls[3].errno: unknown errno name "EWHATEVER"',
  ],
  [
    "errno disagrees with errnoRet",
    profileWith(rule({ action: "SCMP_ACT_ERRNO", errno: "EPERM", errnoRet: 38 })),
    "tsbox: seccomp profile p.json: syscalls[3].errno: EPERM (1) disagrees with 38",
  ],
  [
    "name and names",
    profileWith(rule({ name: "write" })),
    "tsbox: seccomp profile p.json: syscalls[3].name: use either name or names, not both",
  ],
  [
    "no names",
    profileWith({ names: [], action: "SCMP_ACT_ALLOW" }),
    "tsbox: seccomp profile p.json: syscalls[3].names: missing or empty",
  ],
  [
    "bad syscall name",
    profileWith({ names: ["read", "wr ite"], action: "SCMP_ACT_ALLOW" }),
    'tsbox: seccomp profile p.json: syscalls[3].names[1]: invalid syscall name "wr ite"',
  ],
  [
    "names not an array",
    profileWith({ names: "read", action: "SCMP_ACT_ALLOW" }),
    'tsbox: seccomp profile p.json: syscalls[3].names: expected an array, got "read"',
  ],
  [
    "unknown capability",
    profileWith(rule({ includes: { caps: ["CAP_SYS_ADMN"] } })),
    'tsbox: seccomp profile p.json: syscalls[3].includes.caps[0]: unknown capability "CAP_SYS_ADMN"',
  ],
  [
    "unknown include arch",
    profileWith(rule({ excludes: { arches: ["x86-64"] } })),
    'tsbox: seccomp profile p.json: syscalls[3].excludes.arches[0]: unknown architecture "x86-64"',
  ],
  [
    "bad minKernel",
    profileWith(rule({ includes: { minKernel: "five" } })),
    'tsbox: seccomp profile p.json: syscalls[3].includes.minKernel: invalid kernel version "five"',
  ],
  [
    "unknown architecture",
    profileWith(OK_RULE, { architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"] }),
    'tsbox: seccomp profile p.json: architectures[1]: unknown architecture "SCMP_ARCH_Z80"',
  ],
  [
    "unknown archMap subarchitecture",
    profileWith(OK_RULE, {
      archMap: [{ architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_I386"] }],
    }),
    'tsbox: seccomp profile p.json: archMap[0].subArchitectures[0]: unknown architecture "SCMP_ARCH_I386"',
  ],
  [
    "architectures and archMap",
    profileWith(OK_RULE, {
      architectures: ["SCMP_ARCH_X86_64"],
      archMap: [{ architecture: "SCMP_ARCH_X86_64", subArchitectures: [] }],
    }),
    "tsbox: seccomp profile p.json: archMap: use either architectures or archMap, not both",
  ],
  [
    "unknown flag",
    profileWith(OK_RULE, { flags: ["SECCOMP_FILTER_FLAG_FAST"] }),
    'tsbox: seccomp profile p.json: flags[0]: unknown flag "SECCOMP_FILTER_FLAG_FAST"',
  ],
  [
    "listener refused",
    profileWith(OK_RULE, { listenerPath: "/run/agent.sock" }),
    "tsbox: seccomp profile p.json: listenerPath: seccomp notify listeners are not supported",
  ],
];

for (const [what, text, line] of MALFORMED) {
  Deno.test(`parseSeccompProfile: ${what} gives one line naming the field`, () => {
    const got = errorLine(text);
    if (what === "bad JSON") {
      assertEquals(got.startsWith(line), true, got);
    } else {
      assertEquals(got, line);
    }
  });
}

Deno.test("parseSeccompProfile: normalises name, errno names and absent fields", () => {
  const p = parseSeccompProfile(
    JSON.stringify({
      defaultAction: "SCMP_ACT_ERRNO",
      defaultErrno: "ENOSYS",
      syscalls: [
        { name: "read", action: "SCMP_ACT_ALLOW", args: null, comment: "" },
        { names: ["mount"], action: "SCMP_ACT_ERRNO", errno: "EPERM", errnoRet: 1 },
        {
          names: ["clone"],
          action: "SCMP_ACT_ALLOW",
          args: [{ index: 0, value: 2114060288, op: "SCMP_CMP_MASKED_EQ" }],
          includes: { caps: ["CAP_SYS_ADMIN"], arches: ["amd64"], minKernel: "4.8" },
        },
      ],
    }),
    "p.json",
  );
  assertEquals(p, {
    defaultAction: "SCMP_ACT_ERRNO",
    defaultErrnoRet: 38,
    architectures: [],
    archMap: [],
    flags: [],
    syscalls: [
      {
        names: ["read"],
        action: "SCMP_ACT_ALLOW",
        args: [],
        comment: "",
        includes: { caps: [], arches: [] },
        excludes: { caps: [], arches: [] },
      },
      {
        names: ["mount"],
        action: "SCMP_ACT_ERRNO",
        errnoRet: 1,
        args: [],
        includes: { caps: [], arches: [] },
        excludes: { caps: [], arches: [] },
      },
      {
        names: ["clone"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 0, value: 2114060288, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
        includes: { caps: ["CAP_SYS_ADMIN"], arches: ["amd64"], minKernel: "4.8" },
        excludes: { caps: [], arches: [] },
      },
    ],
  });
});

Deno.test("parseSeccompProfile: reads the system's containers-common profile if present", () => {
  let text: string;
  try {
    text = Deno.readTextFileSync("/usr/share/containers/seccomp.json");
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    console.log(
      "skipped: /usr/share/containers/seccomp.json absent (golang-github-containers-common)",
    );
    return;
  }
  const p = parseSeccompProfile(text, "/usr/share/containers/seccomp.json");
  assertEquals(p.defaultErrnoRet, 38);
  assertEquals(p.syscalls.length > 30, true);
});

Deno.test("parseKernelVersion: releases and profile versions", () => {
  assertEquals(parseKernelVersion("6.18.44-fc-v669"), [6, 18, 44]);
  assertEquals(parseKernelVersion("5.8"), [5, 8, 0]);
  assertEquals(parseKernelVersion("4.14.0"), [4, 14, 0]);
  assertEquals(parseKernelVersion("6.1.0+"), [6, 1, 0]);
  assertEquals(parseKernelVersion("6"), null);
  assertEquals(parseKernelVersion("v6.1"), null);
});
