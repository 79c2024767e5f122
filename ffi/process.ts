/**
 * Process-level calls: execve, credentials, signals, prctl.
 * @module
 */

import { libc } from "./libc.ts";
import { check, syscallError } from "./syscall.ts";
import { errno } from "./libc.ts";
import { cstr, cstrArray } from "./cstring.ts";
import { rawSyscall } from "./raw_syscall.ts";
import { SyscallError } from "../lib/errors.ts";
import { PR_SET_PDEATHSIG, SYS_execve, SYS_rt_sigaction, SYS_rt_sigprocmask } from "./consts.ts";

/**
 * execve(2), prepared: the strings and arrays are built now, and the
 * returned function is one raw system call that allocates nothing on the
 * way in — it runs after the container's rlimits are set, when a lowered
 * RLIMIT_AS can leave the runtime no room to grow. It only returns by
 * throwing (`SyscallError` with the errno, e.g. ENOENT or EACCES, so the
 * caller can pick exit code 127/126).
 */
export function prepareExecve(path: string, argv: string[], env: string[]): () => never {
  const p = cstr(path);
  const a = cstrArray(argv);
  const e = cstrArray(env);
  const addr = (b: BufferSource) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
  const args = [addr(p), addr(a.array), addr(e.array)] as const;
  const call = libc().syscall6; // bound now, not on the first call
  const nr = BigInt(SYS_execve);
  return () => {
    call(nr, args[0], args[1], args[2], 0n, 0n, 0n);
    const err = errno();
    // keep the string buffers alive until after the call
    void p, a.keep, e.keep;
    throw syscallError("execve", err, path);
  };
}

/** Drop to uid/gid with the given supplementary groups (order: groups, gid, uid). */
export function setCredentials(uid: number, gid: number, groups: number[]): void {
  const list = new Uint32Array(groups.length ? groups : [gid]);
  check("setgroups", libc().setgroups(BigInt(list.length), new Uint8Array(list.buffer)));
  check("setgid", libc().setgid(gid));
  check("setuid", libc().setuid(uid));
}

/** pidfd_open(2)'s number: the same on x86_64 and aarch64. */
const SYS_pidfd_open = 434;

/**
 * pidfd_open(2): an fd that polls readable once process `pid` has exited
 * (close-on-exec). Undefined when the kernel has no pidfds (before 5.3).
 * @throws {SyscallError} another failure (ESRCH: no such process).
 */
export function pidfdOpen(pid: number): number | undefined {
  try {
    return rawSyscall("pidfd_open", SYS_pidfd_open, [pid, 0], String(pid));
  } catch (err) {
    if (err instanceof SyscallError && err.errnoName === "ENOSYS") return undefined;
    throw err;
  }
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

/** The kernel's sigset_t: 64 signals. */
const SIGSET_BYTES = 8n;
const SIG_SETMASK = 2;
/** SIGKILL and SIGSTOP keep their action whatever is asked. */
const UNCHANGEABLE = new Set([9, 19]);

const SIG_IGN = 1n;

/** rt_sigaction(2) of `sig`: set `act` and/or read the old action into `old`. */
function rtSigaction(sig: number, act: Uint8Array | null, old: Uint8Array | null): void {
  const rc = libc().syscall_rt_sigaction(BigInt(SYS_rt_sigaction), sig, act, old, SIGSET_BYTES);
  if (rc !== 0n) throw syscallError("rt_sigaction", errno(), String(sig));
}

/** Whether `sig`'s action is SIG_IGN (asked of the kernel). */
function isIgnored(sig: number): boolean {
  const old = new BigUint64Array(4); // struct sigaction: handler, flags, restorer, mask
  rtSigaction(sig, null, new Uint8Array(old.buffer));
  return old[0] === SIG_IGN;
}

/**
 * The ignored signals: from the SigIgn mask of `status` (the text of
 * /proc/self/status), or, without it, asked of the kernel one by one.
 */
export function ignoredSignals(status: string | undefined): number[] {
  const hex = status && /^SigIgn:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  const all = Array.from({ length: 64 }, (_, i) => i + 1).filter((s) => !UNCHANGEABLE.has(s));
  if (!hex) return all.filter(isIgnored);
  const mask = BigInt(`0x${hex}`);
  return all.filter((sig) => (mask >> BigInt(sig - 1)) & 1n);
}

/**
 * Give the program the next execve starts the signal state of a fresh
 * process, as runc's gets: execve resets caught signals, but ignored ones
 * stay ignored and the blocked mask stays — and Deno ignores SIGPIPE (so
 * `yes | head -1` would see EPIPE, not die of SIGPIPE). Every ignored
 * signal gets its default action back (caught ones, glibc's own among
 * them, are left to execve), and none stays blocked.
 * @param status the text of /proc/self/status, when readable.
 * @throws {SyscallError} the kernel refused a change.
 */
export function resetSignalsForExec(status?: string): void {
  const dfl = new Uint8Array(32); // struct sigaction: SIG_DFL (0), no flags, empty mask
  for (const sig of ignoredSignals(status)) rtSigaction(sig, dfl, null);
  const none = new Uint8Array(8);
  const rc = libc().syscall_rt_sigprocmask(
    BigInt(SYS_rt_sigprocmask),
    SIG_SETMASK,
    none,
    null,
    SIGSET_BYTES,
  );
  if (rc !== 0n) throw syscallError("rt_sigprocmask", errno());
}
