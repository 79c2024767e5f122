/**
 * Install a compiled seccomp program (classic BPF, as libseccomp exports
 * it) with seccomp(2) on the calling thread — what `seccomp_load` does, but
 * without libseccomp, so the costly compilation can happen earlier (before
 * pivot_root, where libseccomp.so is still reachable) and the last step
 * before execve is one system call.
 * @module
 */

import { TsboxError } from "../lib/errors.ts";
import { BPF_MAXINSNS, SECCOMP_SET_MODE_FILTER, SYS_seccomp } from "./consts.ts";
import { rawSyscall } from "./raw_syscall.ts";

/** Size of `struct sock_filter` {u16 code; u8 jt; u8 jf; u32 k}. */
const SOCK_FILTER_SIZE = 8;

/** A compiled filter: the BPF instructions and the SECCOMP_FILTER_FLAG_* to load it with. */
export interface SeccompProgram {
  bpf: Uint8Array<ArrayBuffer>;
  flags: number;
}

/**
 * seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog) on the calling thread (no
 * TSYNC). Needs no_new_privs or CAP_SYS_ADMIN, else `SyscallError` EACCES.
 */
export function installSeccompProgram(p: SeccompProgram): void {
  const len = p.bpf.length / SOCK_FILTER_SIZE;
  if (!Number.isInteger(len) || len < 1 || len > BPF_MAXINSNS) {
    throw new TsboxError(
      `seccomp: filter program of ${p.bpf.length} bytes is not 1..${BPF_MAXINSNS} instructions`,
      { op: "seccomp" },
    );
  }
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; } (16 bytes on 64-bit)
  const fprog = new Uint8Array(16);
  const v = new DataView(fprog.buffer);
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  v.setUint16(0, len, le);
  v.setBigUint64(8, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(p.bpf))), le);
  const fprogAddr = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(fprog)));
  rawSyscall("seccomp", SYS_seccomp, [SECCOMP_SET_MODE_FILTER, p.flags, fprogAddr]);
  // p.bpf and fprog are referenced until here, so the kernel read live memory
  void fprog;
}
