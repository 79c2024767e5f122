import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { compileSeccomp, precompiledSeccompLoader } from "../../lib/seccomp/load.ts";
import {
  encodeArgCmps,
  resolveArch,
  resolveSyscall,
  SeccompFilter,
} from "../../ffi/seccomp_filter.ts";
import { SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_CMP_NE } from "../../ffi/seccomp.ts";
import { SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW } from "../../ffi/consts.ts";
import { SyscallError, TsboxError, UsageError } from "../../lib/errors.ts";
import type { LinuxSeccomp } from "../../lib/oci/spec.ts";

Deno.test("encodeArgCmps: struct scmp_arg_cmp is 24 bytes {u32 arg, u32 op, u64 a, u64 b}", () => {
  const b = encodeArgCmps([{ arg: 2, op: 7, a: 0x1122334455667788n, b: 0xffffffffffffffffn }]);
  assertEquals(b.length, 24);
  const v = new DataView(b.buffer);
  assertEquals(v.getUint32(0, true), 2);
  assertEquals(v.getUint32(4, true), 7);
  assertEquals(v.getBigUint64(8, true), 0x1122334455667788n);
  assertEquals(v.getBigUint64(16, true), 0xffffffffffffffffn);
});

Deno.test("resolveSyscall / resolveArch: known and unknown names", () => {
  assert((resolveSyscall("getpid") ?? -1) > 0);
  assertEquals(resolveSyscall("no_such_syscall"), null);
  assert(resolveArch("x86_64") !== 0);
  assertEquals(resolveArch("pdp11"), 0);
});

Deno.test("SeccompFilter.addRule: libseccomp refuses two comparisons of one argument (EINVAL)", () => {
  const f = SeccompFilter.create(SCMP_ACT_ERRNO(1));
  try {
    const nr = resolveSyscall("personality")!;
    const cmp = (a: bigint) => ({ arg: 0, op: SCMP_CMP_NE, a, b: 0n });
    const err = assertThrows(
      () => f.addRule(SCMP_ACT_ALLOW, nr, [cmp(1n), cmp(2n)], "personality"),
      SyscallError,
    );
    assertEquals(err.errno, 22);
    assertEquals(err.message, "seccomp_rule_add personality: invalid argument (EINVAL)");
  } finally {
    f.release();
  }
});

const BASE: LinuxSeccomp = {
  defaultAction: "SCMP_ACT_ERRNO",
  syscalls: [{ names: ["read", "write", "exit_group"], action: "SCMP_ACT_ALLOW" }],
};

Deno.test("compileSeccomp: unknown syscall names are skipped, not fatal", () => {
  const c = compileSeccomp({
    ...BASE,
    syscalls: [{ names: ["read", "not_a_syscall", "read"], action: "SCMP_ACT_ALLOW" }],
  });
  assertEquals(c.skipped, ["not_a_syscall"]);
  assert(c.bpf.length > 0 && c.bpf.length % 8 === 0);
});

Deno.test("compileSeccomp: every supported action and a repeated argument index compile", () => {
  const c = compileSeccomp({
    defaultAction: "SCMP_ACT_KILL_PROCESS",
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    syscalls: [
      { names: ["read"], action: "SCMP_ACT_ALLOW" },
      { names: ["write"], action: "SCMP_ACT_LOG" },
      { names: ["mount"], action: "SCMP_ACT_ERRNO", errnoRet: 13 },
      { names: ["umount2"], action: "SCMP_ACT_TRACE" },
      { names: ["reboot"], action: "SCMP_ACT_TRAP" },
      { names: ["kexec_load"], action: "SCMP_ACT_KILL" },
      { names: ["init_module"], action: "SCMP_ACT_KILL_THREAD" },
      {
        names: ["personality"],
        action: "SCMP_ACT_ALLOW",
        args: [
          { index: 0, value: 0, op: "SCMP_CMP_EQ" },
          { index: 0, value: 8, op: "SCMP_CMP_EQ" },
        ],
      },
    ],
    flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
  });
  assertEquals(c.flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  assertEquals(c.skipped, []);
  assert(c.bpf.length > 8 * 10);
});

Deno.test("compileSeccomp: the spec is validated first", () => {
  assertThrows(
    () => compileSeccomp({ ...BASE, defaultAction: "SCMP_ACT_NOTIFY" }),
    UsageError,
    "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported",
  );
});

Deno.test("compileSeccomp: an architecture this libseccomp lacks is one clear error", () => {
  if (resolveArch("loongarch64") !== 0) return; // newer libseccomp knows it: nothing to refuse
  assertThrows(
    () => compileSeccomp({ ...BASE, architectures: ["SCMP_ARCH_LOONGARCH64"] }),
    TsboxError,
    "seccomp: libseccomp does not know architecture loongarch64",
  );
});

Deno.test("precompiledSeccompLoader: compiles now and refuses another spec later", () => {
  assertThrows(
    () => precompiledSeccompLoader({ ...BASE, defaultAction: "SCMP_ACT_X" }),
    UsageError,
  );
  const load = precompiledSeccompLoader(BASE);
  assertThrows(
    () => load({ ...BASE }),
    TsboxError,
    "seccomp: the precompiled filter was built for another spec",
  );
});
