/**
 * Test helpers for device programs: a disassembler (readable listings to
 * compare against) and a tiny interpreter of the opcodes the generator
 * uses, to run a program on a bpf_cgroup_dev_ctx without the kernel.
 * @module
 */

import { type BpfInsn } from "../../lib/cgroup/mod.ts";
import { OP } from "../../lib/cgroup/v2/device_prog.ts";

/** One instruction as text, e.g. `jne r2, 2, +5`. */
export function disasm(x: BpfInsn): string {
  const jmp = (x.off >= 0 ? "+" : "") + x.off;
  switch (x.code) {
    case OP.LDX_W:
      return `ldxw r${x.dst}, [r${x.src}+${x.off}]`;
    case OP.AND32_K:
      return `and32 r${x.dst}, ${x.imm}`;
    case OP.RSH32_K:
      return `rsh32 r${x.dst}, ${x.imm}`;
    case OP.MOV32_K:
      return `mov32 r${x.dst}, ${x.imm}`;
    case OP.MOV32_X:
      return `mov32 r${x.dst}, r${x.src}`;
    case OP.JEQ_K:
      return `jeq r${x.dst}, ${x.imm}, ${jmp}`;
    case OP.JNE_K:
      return `jne r${x.dst}, ${x.imm}, ${jmp}`;
    case OP.JNE_X:
      return `jne r${x.dst}, r${x.src}, ${jmp}`;
    case OP.EXIT:
      return "exit";
    default:
      throw new Error(`unknown opcode 0x${x.code.toString(16)}`);
  }
}

/** The listing of a whole program. */
export const listing = (p: BpfInsn[]): string[] => p.map(disasm);

/** The device-cgroup context: type 1 block / 2 char, access bits m=1 r=2 w=4. */
export interface DevCtx {
  type: 1 | 2;
  access: number;
  major: number;
  minor: number;
}

/**
 * Run `prog` on `ctx` as the kernel would (r1 = ctx) and return r0.
 * Throws on a jump out of the program or a missing exit, as the verifier would refuse.
 */
export function run(prog: BpfInsn[], ctx: DevCtx): number {
  const mem = [(ctx.access << 16) | ctx.type, ctx.major, ctx.minor];
  const r = new Array<number>(11).fill(0);
  const u32 = (n: number) => n >>> 0;
  for (let pc = 0, steps = 0; steps < 10_000; steps++) {
    const x = prog[pc];
    if (!x) throw new Error(`pc ${pc} outside the program`);
    pc++;
    switch (x.code) {
      case OP.LDX_W:
        if (x.src !== 1 || x.off % 4 !== 0) throw new Error("only ctx loads are modelled");
        r[x.dst] = mem[x.off / 4];
        break;
      case OP.AND32_K:
        r[x.dst] = u32(r[x.dst] & x.imm);
        break;
      case OP.RSH32_K:
        r[x.dst] = u32(r[x.dst]) >>> x.imm;
        break;
      case OP.MOV32_K:
        r[x.dst] = u32(x.imm);
        break;
      case OP.MOV32_X:
        r[x.dst] = u32(r[x.src]);
        break;
      case OP.JEQ_K:
        if (r[x.dst] === x.imm) pc += x.off;
        break;
      case OP.JNE_K:
        if (r[x.dst] !== x.imm) pc += x.off;
        break;
      case OP.JNE_X:
        if (r[x.dst] !== r[x.src]) pc += x.off;
        break;
      case OP.EXIT:
        return r[0];
      default:
        throw new Error(`unknown opcode 0x${x.code.toString(16)}`);
    }
  }
  throw new Error("no exit reached");
}
