/**
 * A system call by number with up to six integer arguments, on the calling
 * thread — for calls libc has no wrapper for (seccomp(2)) and for probing
 * what a seccomp filter lets through.
 * @module
 */

import { errno, libc } from "./libc.ts";
import { syscallError } from "./syscall.ts";

/**
 * syscall(nr, args…). Returns the result; throws `SyscallError` (with
 * `.errno`) when the call returns -1. `name` (and `path`) label the error.
 */
export function rawSyscall(
  name: string,
  nr: number,
  args: readonly (number | bigint)[],
  path?: string,
): number {
  if (args.length > 6) throw new RangeError("a system call takes at most six arguments");
  const a = [...args.map((x) => BigInt(x)), 0n, 0n, 0n, 0n, 0n, 0n];
  const ret = libc().syscall6(BigInt(nr), a[0], a[1], a[2], a[3], a[4], a[5]);
  const n = Number(ret);
  if (n === -1) throw syscallError(name, errno(), path);
  return n;
}
