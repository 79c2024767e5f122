/**
 * errno checking: turn a -1 return into a `SyscallError`.
 * @module
 */

import { SyscallError } from "../lib/errors.ts";
import { errno } from "./libc.ts";
import { errnoName, errnoText } from "./errno.ts";

/** Throw `SyscallError` when `ret` is -1; else return it. Call right after the libc call. */
export function check(call: string, ret: number, path?: string): number {
  if (ret === -1) throw syscallError(call, errno(), path);
  return ret;
}

/** `check` for calls returning a 64-bit value (syscall, read, write). */
export function checkBig(call: string, ret: bigint | number, path?: string): number {
  const n = Number(ret);
  if (n === -1) throw syscallError(call, errno(), path);
  return n;
}

/** Build a `SyscallError` from an errno value. */
export function syscallError(call: string, e: number, path?: string): SyscallError {
  const name = errnoName(e);
  return new SyscallError(call, e, name, errnoText(name), path);
}
