/**
 * A compiled seccomp program as it travels in the init/exec spec (JSON),
 * and its decoding. A leaf module: the init and `__exec` only install a
 * program the parent compiled, so they import this and not the compiler
 * (`load.ts`, libseccomp, the profile validation) that `cache.ts` pulls in.
 * @module
 */

import type { SeccompProgram } from "../kernel.ts";

/** A program as it travels in the init/exec spec (JSON). */
export interface EncodedSeccomp {
  /** The sock_filter array, base64. */
  bpf: string;
  flags: number;
}

/** Decode a program for `installSeccomp`. Pure. */
export function decodeSeccomp(e: EncodedSeccomp): SeccompProgram {
  const bin = atob(e.bpf);
  const bpf = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bpf[i] = bin.charCodeAt(i);
  return { bpf, flags: e.flags };
}
