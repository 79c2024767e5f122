import { assertEquals } from "../helpers/assert.ts";
import { planSeccomp, scmpAction } from "../../lib/seccomp/plan.ts";
import {
  SCMP_ACT_ALLOW,
  SCMP_ACT_ERRNO,
  SCMP_ACT_KILL_PROCESS,
  SCMP_ACT_KILL_THREAD,
  SCMP_ACT_LOG,
  SCMP_ACT_TRACE,
  SCMP_ACT_TRAP,
  SCMP_CMP_EQ,
  SCMP_CMP_MASKED_EQ,
  SCMP_CMP_NE,
} from "../../ffi/seccomp.ts";

Deno.test("scmpAction: every supported action, errno defaulting to EPERM", () => {
  assertEquals(scmpAction("SCMP_ACT_ALLOW"), SCMP_ACT_ALLOW);
  assertEquals(scmpAction("SCMP_ACT_KILL"), SCMP_ACT_KILL_THREAD);
  assertEquals(scmpAction("SCMP_ACT_KILL_THREAD"), SCMP_ACT_KILL_THREAD);
  assertEquals(scmpAction("SCMP_ACT_KILL_PROCESS"), SCMP_ACT_KILL_PROCESS);
  assertEquals(scmpAction("SCMP_ACT_TRAP"), SCMP_ACT_TRAP);
  assertEquals(scmpAction("SCMP_ACT_LOG"), SCMP_ACT_LOG);
  assertEquals(scmpAction("SCMP_ACT_ERRNO"), 0x00050001);
  assertEquals(scmpAction("SCMP_ACT_ERRNO", 38), 0x00050026);
  assertEquals(scmpAction("SCMP_ACT_TRACE"), SCMP_ACT_TRACE(1));
  assertEquals(SCMP_ACT_ERRNO(0), 0x00050000);
});

Deno.test("planSeccomp: one rule per name; rules equal to the default are dropped", () => {
  const plan = planSeccomp({
    defaultAction: "SCMP_ACT_ERRNO",
    defaultErrnoRet: 38,
    syscalls: [
      { names: ["read", "write"], action: "SCMP_ACT_ALLOW" },
      { names: ["add_key"], action: "SCMP_ACT_ERRNO", errnoRet: 38 },
      { names: ["mount"], action: "SCMP_ACT_ERRNO" },
    ],
  });
  assertEquals(plan.defaultAction, SCMP_ACT_ERRNO(38));
  assertEquals(plan.rules, [
    { name: "read", action: SCMP_ACT_ALLOW, args: [] },
    { name: "write", action: SCMP_ACT_ALLOW, args: [] },
    { name: "mount", action: SCMP_ACT_ERRNO(1), args: [] },
  ]);
});

Deno.test("planSeccomp: distinct argument indexes stay in one rule", () => {
  const plan = planSeccomp({
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{
      names: ["socket"],
      action: "SCMP_ACT_ERRNO",
      errnoRet: 22,
      args: [
        { index: 0, value: 16, valueTwo: 0, op: "SCMP_CMP_EQ" },
        { index: 2, value: 9, op: "SCMP_CMP_EQ" },
      ],
    }],
  });
  assertEquals(plan.rules, [{
    name: "socket",
    action: SCMP_ACT_ERRNO(22),
    args: [{ arg: 0, op: SCMP_CMP_EQ, a: 16n, b: 0n }, { arg: 2, op: SCMP_CMP_EQ, a: 9n, b: 0n }],
  }]);
});

Deno.test("planSeccomp: a repeated argument index becomes one rule per comparison, as runc", () => {
  const plan = planSeccomp({
    defaultAction: "SCMP_ACT_ERRNO",
    syscalls: [{
      names: ["clone"],
      action: "SCMP_ACT_ALLOW",
      args: [
        { index: 0, value: 0x7e020000, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" },
        { index: 0, value: 1, op: "SCMP_CMP_NE" },
        { index: 1, value: 2, op: "SCMP_CMP_EQ" },
      ],
    }],
  });
  assertEquals(plan.rules, [
    {
      name: "clone",
      action: SCMP_ACT_ALLOW,
      args: [{ arg: 0, op: SCMP_CMP_MASKED_EQ, a: 0x7e020000n, b: 0n }],
    },
    { name: "clone", action: SCMP_ACT_ALLOW, args: [{ arg: 0, op: SCMP_CMP_NE, a: 1n, b: 0n }] },
    { name: "clone", action: SCMP_ACT_ALLOW, args: [{ arg: 1, op: SCMP_CMP_EQ, a: 2n, b: 0n }] },
  ]);
});

Deno.test("planSeccomp: architectures map to libseccomp names, flags to attributes", () => {
  const plan = planSeccomp({
    defaultAction: "SCMP_ACT_KILL_PROCESS",
    architectures: [
      "SCMP_ARCH_NATIVE",
      "SCMP_ARCH_X86_64",
      "SCMP_ARCH_X86",
      "SCMP_ARCH_X32",
      "SCMP_ARCH_X86",
    ],
    flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC"],
    syscalls: [],
  });
  assertEquals(plan.defaultAction, SCMP_ACT_KILL_PROCESS);
  assertEquals(plan.arches, ["x86_64", "x86", "x32"]);
  assertEquals([plan.log, plan.specAllow, plan.binaryTree], [true, false, false]);
  const many = planSeccomp({
    defaultAction: "SCMP_ACT_ERRNO",
    flags: ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
    syscalls: Array.from(
      { length: 33 },
      (_, i) => ({ names: [`s${i}`], action: "SCMP_ACT_ALLOW" }),
    ),
  });
  assertEquals([many.log, many.specAllow, many.binaryTree], [false, true, true]);
});
