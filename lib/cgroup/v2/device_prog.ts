/**
 * cgroup v2 devices: a rule list → a BPF_PROG_TYPE_CGROUP_DEVICE program.
 * v2 has no devices controller; the kernel runs the programs attached to
 * a cgroup (and, with BPF_F_ALLOW_MULTI, its ancestors') on every mknod
 * and device open, and denies unless all return 1. Pure.
 *
 * The rules are first folded into the v1 end state (`normalizeDeviceRules`),
 * so the program means exactly what the v1 writes mean: every exception
 * carries the same verdict (the opposite of the default), so the first
 * exception that matches decides, and none matching gives the default.
 *
 * The context is `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major;
 * u32 minor; }`; access_type holds the device type (BPF_DEVCG_DEV_BLOCK 1,
 * BPF_DEVCG_DEV_CHAR 2) in its low 16 bits and the access (MKNOD 1, READ 2,
 * WRITE 4, possibly several) in its high 16 bits. The program:
 * ```
 *   r2 = type   r3 = access   r4 = major   r5 = minor
 *   per exception:  if r2 != type goto next
 *                   [access test, using r1]  [if r4 != major goto next]
 *                   [if r5 != minor goto next]   r0 = verdict; exit
 *   r0 = default; exit
 * ```
 * The access test of an allow list asks "is every requested bit granted"
 * (r1 = r3 & bits; if r1 != r3 goto next), that of a deny list "is any
 * requested bit denied" (if r3 & bits == 0 goto next), as v1 does; it is
 * left out when the exception covers rwm.
 * @module
 */

import type { LinuxDeviceCgroup } from "../../oci/spec.ts";
import { ACC_ALL, type DeviceException, normalizeDeviceRules, WILDCARD } from "../device_rules.ts";

/** One eBPF instruction (struct bpf_insn). */
export interface BpfInsn {
  /** Opcode: class | operation | source. */
  code: number;
  /** Destination register (0…10). */
  dst: number;
  /** Source register. */
  src: number;
  /** Signed 16-bit offset (jump distance in instructions, or memory offset). */
  off: number;
  /** Signed 32-bit immediate. */
  imm: number;
}

/** Opcodes used here (linux/bpf_common.h, linux/bpf.h). */
export const OP = {
  /** BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(src + off) */
  LDX_W: 0x61,
  /** BPF_ALU | BPF_AND | BPF_K: dst &= imm (32-bit) */
  AND32_K: 0x54,
  /** BPF_ALU | BPF_RSH | BPF_K: dst >>= imm (32-bit) */
  RSH32_K: 0x74,
  /** BPF_ALU | BPF_MOV | BPF_K: dst = imm (32-bit) */
  MOV32_K: 0xb4,
  /** BPF_ALU | BPF_MOV | BPF_X: dst = src (32-bit) */
  MOV32_X: 0xbc,
  /** BPF_JMP | BPF_JEQ | BPF_K: if dst == imm goto pc + 1 + off */
  JEQ_K: 0x15,
  /** BPF_JMP | BPF_JNE | BPF_K: if dst != imm goto pc + 1 + off */
  JNE_K: 0x55,
  /** BPF_JMP | BPF_JNE | BPF_X: if dst != src goto pc + 1 + off */
  JNE_X: 0x5d,
  /** BPF_JMP | BPF_EXIT: return r0 */
  EXIT: 0x95,
} as const;

/** BPF_DEVCG_DEV_BLOCK / BPF_DEVCG_DEV_CHAR. */
const DEV_TYPE = { b: 1, c: 2 } as const;

const insn = (code: number, dst: number, src: number, off: number, imm: number): BpfInsn => ({
  code,
  dst,
  src,
  off,
  imm,
});

/** Placeholder offset of a test's jump, replaced by the distance to the next block. */
const TO_NEXT = -1;

/** Loads of the context into r2…r5 (r1 points at the context). */
const PROLOGUE: readonly BpfInsn[] = [
  insn(OP.LDX_W, 2, 1, 0, 0),
  insn(OP.AND32_K, 2, 0, 0, 0xffff),
  insn(OP.LDX_W, 3, 1, 0, 0),
  insn(OP.RSH32_K, 3, 0, 0, 16),
  insn(OP.LDX_W, 4, 1, 4, 0),
  insn(OP.LDX_W, 5, 1, 8, 0),
];

/**
 * The device filter for `rules` as instructions.
 * @throws {CgroupError} a rule is malformed (see `normalizeDeviceRules`).
 */
export function deviceProgram(rules: readonly LinuxDeviceCgroup[]): BpfInsn[] {
  const set = normalizeDeviceRules(rules);
  const out = [...PROLOGUE];
  for (const e of set.exceptions) out.push(...block(e, set.defaultAllow));
  out.push(insn(OP.MOV32_K, 0, 0, 0, set.defaultAllow ? 1 : 0), insn(OP.EXIT, 0, 0, 0, 0));
  return out;
}

/** One exception: tests that jump past the block, then return the exception's verdict. */
function block(e: DeviceException, defaultAllow: boolean): BpfInsn[] {
  // the tests jump TO_NEXT, fixed up once the block length is known
  const tests: BpfInsn[] = [insn(OP.JNE_K, 2, 0, TO_NEXT, DEV_TYPE[e.type])];
  if (e.access !== ACC_ALL) {
    tests.push(insn(OP.MOV32_X, 1, 3, 0, 0), insn(OP.AND32_K, 1, 0, 0, e.access));
    tests.push(defaultAllow ? insn(OP.JEQ_K, 1, 0, TO_NEXT, 0) : insn(OP.JNE_X, 1, 3, TO_NEXT, 0));
  }
  if (e.major !== WILDCARD) tests.push(insn(OP.JNE_K, 4, 0, TO_NEXT, e.major));
  if (e.minor !== WILDCARD) tests.push(insn(OP.JNE_K, 5, 0, TO_NEXT, e.minor));
  const all = [
    ...tests,
    insn(OP.MOV32_K, 0, 0, 0, defaultAllow ? 0 : 1),
    insn(OP.EXIT, 0, 0, 0, 0),
  ];
  // a jump at index i lands on all.length (the next block): off = all.length - (i + 1)
  return all.map((x, i) => (x.off === TO_NEXT ? { ...x, off: all.length - i - 1 } : x));
}

/** The instructions as the kernel takes them (8 bytes each, little-endian). */
export function encodeProgram(insns: readonly BpfInsn[]): Uint8Array {
  const buf = new Uint8Array(insns.length * 8);
  const view = new DataView(buf.buffer);
  insns.forEach((x, i) => {
    view.setUint8(i * 8, x.code);
    view.setUint8(i * 8 + 1, (x.src << 4) | x.dst);
    view.setInt16(i * 8 + 2, x.off, true);
    view.setInt32(i * 8 + 4, x.imm, true);
  });
  return buf;
}
