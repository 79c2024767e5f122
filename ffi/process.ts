/**
 * Process-level calls: execve, credentials, signals, prctl.
 * @module
 */

import { libc } from "./libc.ts";
import { check, syscallError } from "./syscall.ts";
import { errno } from "./libc.ts";
import { cstr, cstrArray } from "./cstring.ts";
import { PR_SET_PDEATHSIG } from "./consts.ts";

/**
 * execve(2). Only returns by throwing (`SyscallError` with the errno, e.g.
 * ENOENT or EACCES, so the caller can pick exit code 127/126).
 */
export function execve(path: string, argv: string[], env: string[]): never {
  const a = cstrArray(argv);
  const e = cstrArray(env);
  libc().execve(cstr(path), new Uint8Array(a.array.buffer), new Uint8Array(e.array.buffer));
  const err = errno();
  // keep the string buffers alive until after the call
  void a.keep, e.keep;
  throw syscallError("execve", err, path);
}

/** Drop to uid/gid with the given supplementary groups (order: groups, gid, uid). */
export function setCredentials(uid: number, gid: number, groups: number[]): void {
  const list = new Uint32Array(groups.length ? groups : [gid]);
  check("setgroups", libc().setgroups(BigInt(list.length), new Uint8Array(list.buffer)));
  check("setgid", libc().setgid(gid));
  check("setuid", libc().setuid(uid));
}

/** kill(2). Returns false when the process does not exist (ESRCH). */
export function kill(pid: number, sig: number): boolean {
  if (libc().kill(pid, sig) === 0) return true;
  const e = errno();
  if (e === 3) return false;
  throw syscallError("kill", e, String(pid));
}

/** The calling process's pid. */
export function getpid(): number {
  return libc().getpid();
}

/** setsid(2): new session (needed before taking a controlling tty). */
export function setsid(): void {
  check("setsid", libc().setsid());
}

/** prctl(PR_SET_PDEATHSIG, sig). */
export function setParentDeathSignal(sig: number): void {
  check("prctl", libc().prctl(PR_SET_PDEATHSIG, BigInt(sig), 0n, 0n, 0n));
}

/** umask(2); returns the previous mask. */
export function umask(mask: number): number {
  return libc().umask(mask);
}
