import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { validateSeccomp } from "../../lib/seccomp/validate.ts";
import { defaultSeccomp } from "../../lib/seccomp/default_profile.ts";
import { DEFAULT_CAPABILITIES } from "../../lib/oci/defaults.ts";
import type { LinuxSeccomp } from "../../lib/oci/spec.ts";
import { formatError, UsageError } from "../../lib/errors.ts";

const BASE: LinuxSeccomp = {
  defaultAction: "SCMP_ACT_ERRNO",
  architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
  syscalls: [
    { names: ["read", "write"], action: "SCMP_ACT_ALLOW" },
    {
      names: ["personality"],
      action: "SCMP_ACT_ALLOW",
      args: [{ index: 0, value: 8, op: "SCMP_CMP_EQ" }],
    },
  ],
};

/** BASE with its second syscall replaced by `patch` applied to a copy of it. */
function withRule(patch: Record<string, unknown>): LinuxSeccomp {
  const s = structuredClone(BASE) as any;
  Object.assign(s.syscalls[1], patch);
  return s;
}

function line(s: unknown): string {
  return formatError(assertThrows(() => validateSeccomp(s as LinuxSeccomp), UsageError));
}

Deno.test("validateSeccomp: accepts a valid spec and the converted default profile", () => {
  validateSeccomp(BASE);
  validateSeccomp(
    defaultSeccomp({
      capabilities: DEFAULT_CAPABILITIES,
      arch: "x86_64",
      kernelRelease: "6.1.0",
    }),
  );
});

Deno.test("validateSeccomp: ignores unknown properties, as the runtime spec requires", () => {
  const s = withRule({ comment: "x" }) as any;
  s.vendorExtension = true;
  s.syscalls[1].args[0].note = "ok";
  validateSeccomp(s);
});

const BAD: [string, unknown, string][] = [
  ["not an object", null, "tsbox: linux.seccomp: expected an object"],
  [
    "unknown default action",
    { ...BASE, defaultAction: "SCMP_ACT_MAYBE" },
    'tsbox: linux.seccomp.defaultAction: unknown action "SCMP_ACT_MAYBE"',
  ],
  [
    "notify default",
    { ...BASE, defaultAction: "SCMP_ACT_NOTIFY" },
    "tsbox: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported (tsbox has no notify listener)",
  ],
  [
    "defaultErrnoRet with ALLOW",
    { ...BASE, defaultAction: "SCMP_ACT_ALLOW", defaultErrnoRet: 1 },
    "tsbox: linux.seccomp.defaultErrnoRet: not allowed with SCMP_ACT_ALLOW (only SCMP_ACT_ERRNO, SCMP_ACT_TRACE)",
  ],
  [
    "unknown architecture",
    { ...BASE, architectures: ["SCMP_ARCH_PDP11"] },
    'tsbox: linux.seccomp.architectures[0]: unknown architecture "SCMP_ARCH_PDP11"',
  ],
  [
    "unknown flag",
    { ...BASE, flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_X"] },
    'tsbox: linux.seccomp.flags[1]: unknown flag "SECCOMP_FILTER_FLAG_X"',
  ],
  [
    "wait-killable flag",
    { ...BASE, flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"] },
    "tsbox: linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported (tsbox has no notify listener)",
  ],
  [
    "listener",
    { ...BASE, listenerPath: "/run/x.sock" },
    "tsbox: linux.seccomp.listenerPath: seccomp notify listeners are not supported",
  ],
  [
    "rule action",
    withRule({ action: "SCMP_ACT_NOTIFY" }),
    "tsbox: linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY is not supported (tsbox has no notify listener)",
  ],
  [
    "empty names",
    withRule({ names: [] }),
    "tsbox: linux.seccomp.syscalls[1].names: missing or empty",
  ],
  [
    "errnoRet with LOG",
    withRule({ action: "SCMP_ACT_LOG", errnoRet: 5 }),
    "tsbox: linux.seccomp.syscalls[1].errnoRet: not allowed with SCMP_ACT_LOG (only SCMP_ACT_ERRNO, SCMP_ACT_TRACE)",
  ],
  [
    "index 6",
    withRule({ args: [{ index: 6, value: 0, op: "SCMP_CMP_EQ" }] }),
    "tsbox: linux.seccomp.syscalls[1].args[0].index: 6 is out of range 0..5",
  ],
  [
    "bad op",
    withRule({ args: [{ index: 0, value: 0, op: "EQ" }] }),
    'tsbox: linux.seccomp.syscalls[1].args[0].op: unknown operator "EQ"',
  ],
  [
    "string value",
    withRule({ args: [{ index: 0, value: "8", op: "SCMP_CMP_EQ" }] }),
    'tsbox: linux.seccomp.syscalls[1].args[0].value: expected an integer, got "8"',
  ],
];

for (const [what, spec, want] of BAD) {
  Deno.test(`validateSeccomp: ${what} gives one line naming the field`, () => {
    assertEquals(line(spec), want);
  });
}
