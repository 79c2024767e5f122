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

/**
 * Decode a program for `installSeccomp`. Pure. (Uint8Array.fromBase64: a
 * per-byte loop over atob's string took the init ~0.8 ms for docker's
 * profile, ~24 KB of filter, in code that runs once and so is never compiled.)
 * @throws {SyntaxError} `bpf` is not base64.
 */
export function decodeSeccomp(e: EncodedSeccomp): SeccompProgram {
  return { bpf: Uint8Array.fromBase64(e.bpf), flags: e.flags };
}
