import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { parseSeccompProfile } from "../../lib/seccomp/profile.ts";
import { profileToSeccomp, type SeccompTarget } from "../../lib/seccomp/convert.ts";
import { DEFAULT_CAPABILITIES } from "../../lib/oci/defaults.ts";
import type { LinuxSeccomp } from "../../lib/oci/spec.ts";
import { UsageError } from "../../lib/errors.ts";

/** A docker-style profile (moby's default.json shape): caps, arches and kernel gates. */
const DOCKER_STYLE = JSON.stringify({
  defaultAction: "SCMP_ACT_ERRNO",
  defaultErrnoRet: 1,
  archMap: [
    { architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
    { architecture: "SCMP_ARCH_AARCH64", subArchitectures: ["SCMP_ARCH_ARM"] },
  ],
  syscalls: [
    { names: ["read", "write"], action: "SCMP_ACT_ALLOW" },
    {
      names: ["mount", "umount2", "unshare", "setns"],
      action: "SCMP_ACT_ALLOW",
      includes: { caps: ["CAP_SYS_ADMIN"] },
    },
    {
      names: ["clone"],
      action: "SCMP_ACT_ALLOW",
      args: [{ index: 0, value: 2114060288, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
      excludes: { caps: ["CAP_SYS_ADMIN"], arches: ["s390", "s390x"] },
    },
    { names: ["clone"], action: "SCMP_ACT_ALLOW", includes: { caps: ["CAP_SYS_ADMIN"] } },
    {
      names: ["clone3"],
      action: "SCMP_ACT_ERRNO",
      errnoRet: 38,
      excludes: { caps: ["CAP_SYS_ADMIN"] },
    },
    { names: ["arch_prctl"], action: "SCMP_ACT_ALLOW", includes: { arches: ["amd64", "x32"] } },
    { names: ["breakpoint"], action: "SCMP_ACT_ALLOW", includes: { arches: ["arm", "arm64"] } },
    { names: ["ptrace"], action: "SCMP_ACT_ALLOW", includes: { minKernel: "4.8" } },
    { names: ["future_call"], action: "SCMP_ACT_ALLOW", includes: { minKernel: "99.0" } },
    { names: ["old_way"], action: "SCMP_ACT_ALLOW", excludes: { minKernel: "5.0" } },
    {
      names: ["both"],
      action: "SCMP_ACT_ALLOW",
      includes: { caps: ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"] },
    },
  ],
});

const X86: SeccompTarget = {
  capabilities: DEFAULT_CAPABILITIES,
  arch: "x86_64",
  kernelRelease: "6.18.44-fc-v669",
};

function convert(target: Partial<SeccompTarget> = {}): LinuxSeccomp {
  return profileToSeccomp(parseSeccompProfile(DOCKER_STYLE, "docker.json"), {
    ...X86,
    ...target,
  });
}

/** Every syscall name the converted spec mentions, with its rules as action[+args]. */
function rulesOf(s: LinuxSeccomp): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const c of s.syscalls ?? []) {
    for (const n of c.names) {
      const desc = c.action + (c.errnoRet !== undefined ? `(${c.errnoRet})` : "") +
        (c.args ? JSON.stringify(c.args) : "");
      m.set(n, [...(m.get(n) ?? []), desc]);
    }
  }
  return m;
}

Deno.test("profileToSeccomp: without CAP_SYS_ADMIN the mount family is not allowed", () => {
  const r = rulesOf(convert());
  for (const n of ["mount", "umount2", "unshare", "setns"]) assertEquals(r.get(n), undefined, n);
  assertEquals(r.get("clone"), [
    'SCMP_ACT_ALLOW[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]',
  ]);
  assertEquals(r.get("clone3"), ["SCMP_ACT_ERRNO(38)"]);
});

Deno.test("profileToSeccomp: with CAP_SYS_ADMIN the mount family and plain clone are allowed", () => {
  const r = rulesOf(convert({ capabilities: [...DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"] }));
  for (const n of ["mount", "umount2", "unshare", "setns"]) {
    assertEquals(r.get(n), ["SCMP_ACT_ALLOW"], n);
  }
  assertEquals(r.get("clone"), ["SCMP_ACT_ALLOW"]);
  assertEquals(r.get("clone3"), undefined);
});

Deno.test("profileToSeccomp: includes.caps needs every cap", () => {
  assertEquals(
    rulesOf(convert({ capabilities: ["CAP_SYS_ADMIN"] })).get("both"),
    undefined,
  );
  assertEquals(
    rulesOf(convert({ capabilities: ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"] })).get("both"),
    ["SCMP_ACT_ALLOW"],
  );
});

Deno.test("profileToSeccomp: arches and archMap follow the host architecture", () => {
  const x86 = convert();
  assertEquals(x86.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
  assert(rulesOf(x86).has("arch_prctl"));
  assert(!rulesOf(x86).has("breakpoint"));
  const arm = convert({ arch: "aarch64" });
  assertEquals(arm.architectures, ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
  assert(!rulesOf(arm).has("arch_prctl"));
  assert(rulesOf(arm).has("breakpoint"));
  const riscv = convert({ arch: "riscv64" });
  assertEquals(riscv.architectures, undefined);
});

Deno.test("profileToSeccomp: minKernel gates on the running kernel", () => {
  const now = rulesOf(convert());
  assert(now.has("ptrace"));
  assert(!now.has("future_call"));
  assert(!now.has("old_way"));
  const old = rulesOf(convert({ kernelRelease: "4.4.0" }));
  assert(!old.has("ptrace"));
  assert(old.has("old_way"));
  const exact = rulesOf(convert({ kernelRelease: "4.8" }));
  assert(exact.has("ptrace"));
});

Deno.test("profileToSeccomp: default action, errno and order are kept", () => {
  const s = convert();
  assertEquals(s.defaultAction, "SCMP_ACT_ERRNO");
  assertEquals(s.defaultErrnoRet, 1);
  assertEquals(s.syscalls?.[0], { names: ["read", "write"], action: "SCMP_ACT_ALLOW" });
});

Deno.test("profileToSeccomp: an unknown host arch or kernel release is one clear error", () => {
  assertThrows(() => convert({ arch: "vax" }), UsageError, 'host arch "vax"');
  assertThrows(() => convert({ kernelRelease: "linux" }), UsageError, 'kernel release "linux"');
});
