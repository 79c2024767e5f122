/**
 * posix_spawn(3) from the calling thread, and waitpid on a worker thread.
 *
 * `tsbox exec` uses this for the last step: glibc's posix_spawn clones with
 * CLONE_VM|CLONE_VFORK from the CALLING thread and runs only C code until
 * execve, so the child gets exactly that thread's namespaces (the
 * container's mount namespace, its pid_for_children), credentials,
 * capabilities, no_new_privs and seccomp filter — which Deno.Command cannot
 * promise. An execve failure comes back as posix_spawn's error number.
 * tsbox's own init is spawned through it too (spawnWithStdio), with pipes.
 * @module
 */

import { libc } from "./libc.ts";
import { cstr, cstrArray } from "./cstring.ts";
import { check, syscallError } from "./syscall.ts";
import { errno } from "./libc.ts";
import { closeFd, pipePair, writeAll } from "./fds.ts";
import {
  MFD_CLOEXEC,
  O_CLOEXEC,
  O_RDWR,
  POSIX_SPAWN_SETSID,
  POSIX_SPAWN_SETSIGDEF,
  POSIX_SPAWN_SETSIGMASK,
  PR_SET_CHILD_SUBREAPER,
} from "./consts.ts";

/** What the child gets besides argv/env. */
export interface SpawnOptions {
  /** New session; with `tty`, the tty becomes its controlling terminal. */
  setsid: boolean;
  /** Open this tty as fds 0, 1, 2 in the child (after setsid, so it becomes the controlling tty). */
  tty?: string;
  /** This fd becomes the child's stdin (hooks read the state JSON there). */
  stdinFd?: number;
}

// glibc x86_64/aarch64 sizes are 80 (file actions), 336 (attr), 128 (sigset_t); over-allocate
const FA_SIZE = 256;
const ATTR_SIZE = 512;
const SIGSET_SIZE = 128;
const EINTR = 4;

function ok(call: string, rc: number, path?: string): void {
  if (rc !== 0) throw syscallError(call, rc, path);
}

/** posix_spawn(3) of `path` with these file actions and attributes; the child's pid. */
function spawnWith(
  path: string,
  argv: string[],
  env: string[],
  fa: Uint8Array,
  attr: Uint8Array | null,
): number {
  const a = cstrArray(argv);
  const e = cstrArray(env);
  const pid = new Int32Array(1);
  const rc = libc().posix_spawn(
    new Uint8Array(pid.buffer),
    cstr(path),
    fa,
    attr,
    new Uint8Array(a.array.buffer),
    new Uint8Array(e.array.buffer),
  );
  void a.keep, e.keep; // alive until after the call
  if (rc !== 0) throw syscallError("execve", rc, path);
  return pid[0];
}

/**
 * Spawn `path` with `argv`/`env`; returns the child's pid.
 * All signals are reset to their default action and unblocked in the child.
 * @throws {SyscallError} the spawn or the child's execve failed (ENOENT, EACCES, ...).
 */
export function posixSpawn(
  path: string,
  argv: string[],
  env: string[],
  opts: SpawnOptions,
): number {
  const fa = new Uint8Array(FA_SIZE);
  const attr = new Uint8Array(ATTR_SIZE);
  ok("posix_spawn_file_actions_init", libc().posix_spawn_file_actions_init(fa));
  ok("posix_spawnattr_init", libc().posix_spawnattr_init(attr));
  try {
    const all = new Uint8Array(SIGSET_SIZE).fill(0xff);
    const none = new Uint8Array(SIGSET_SIZE);
    ok("posix_spawnattr_setsigdefault", libc().posix_spawnattr_setsigdefault(attr, all));
    ok("posix_spawnattr_setsigmask", libc().posix_spawnattr_setsigmask(attr, none));
    let flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (opts.setsid) flags |= POSIX_SPAWN_SETSID;
    ok("posix_spawnattr_setflags", libc().posix_spawnattr_setflags(attr, flags));
    const ttyPath = opts.tty ? cstr(opts.tty) : undefined;
    if (ttyPath) {
      // no O_NOCTTY: opened by a session leader, the tty becomes its controlling terminal
      ok(
        "posix_spawn_file_actions_addopen",
        libc().posix_spawn_file_actions_addopen(fa, 0, ttyPath, O_RDWR, 0),
      );
      ok("posix_spawn_file_actions_adddup2", libc().posix_spawn_file_actions_adddup2(fa, 0, 1));
      ok("posix_spawn_file_actions_adddup2", libc().posix_spawn_file_actions_adddup2(fa, 0, 2));
    }
    if (opts.stdinFd !== undefined) {
      ok(
        "posix_spawn_file_actions_adddup2",
        libc().posix_spawn_file_actions_adddup2(fa, opts.stdinFd, 0),
      );
    }
    const pid = spawnWith(path, argv, env, fa, attr);
    void ttyPath; // alive until after the call
    return pid;
  } finally {
    libc().posix_spawn_file_actions_destroy(fa);
    libc().posix_spawnattr_destroy(attr);
  }
}

/** Where a child's fd 0, 1 or 2 comes from: ours, /dev/null, or a new pipe. */
export type ChildStdio = "inherit" | "null" | "piped";

/** What spawnWithStdio started: the pid, and our end of each piped fd (by its number). */
export interface Spawned {
  pid: number;
  /** Our end of a piped fd 0 (to write), 1 or 2 (to read); close-on-exec. */
  ends: (number | undefined)[];
}

/**
 * Spawn `path` (absolute) with `argv`/`env` from the calling thread, as
 * `Deno.Command` would with this stdio — without loading Deno's process
 * module, which costs a `run` ~5 ms before its init can start. posix_spawn
 * clones from the calling thread (its pid_for_children counts) and reports
 * the child's execve error. No attributes: the child keeps the calling
 * thread's signal mask (Deno's main thread blocks none) and the SIG_IGN of
 * SIGPIPE; tsbox's init, the one caller, resets both before its command.
 * @throws {SyscallError} a pipe could not be made or the spawn failed (ENOENT, EACCES, ...).
 */
export function spawnWithStdio(
  path: string,
  argv: string[],
  env: string[],
  stdio: readonly [ChildStdio, ChildStdio, ChildStdio],
  cwd?: string,
): Spawned {
  const fa = new Uint8Array(FA_SIZE);
  const theirs: number[] = [];
  const ends: (number | undefined)[] = [];
  let spawned = false;
  ok("posix_spawn_file_actions_init", libc().posix_spawn_file_actions_init(fa));
  try {
    let devNull: number | undefined;
    for (const [fd, how] of stdio.entries()) {
      if (how === "inherit") continue;
      let child: number;
      if (how === "null") {
        if (devNull === undefined) theirs.push(devNull = openDevNull());
        child = devNull;
      } else {
        const [r, w] = pipePair();
        theirs.push(fd === 0 ? r : w);
        ends[fd] = fd === 0 ? w : r;
        child = fd === 0 ? r : w;
      }
      // dup2 clears close-on-exec on the child's copy
      ok(
        "posix_spawn_file_actions_adddup2",
        libc().posix_spawn_file_actions_adddup2(fa, child, fd),
      );
    }
    const dir = cwd === undefined ? undefined : cstr(cwd);
    if (dir) {
      ok(
        "posix_spawn_file_actions_addchdir_np",
        libc().posix_spawn_file_actions_addchdir_np(fa, dir),
        cwd,
      );
    }
    const pid = spawnWith(path, argv, env, fa, null);
    void dir; // alive until after the call
    spawned = true;
    return { pid, ends };
  } finally {
    libc().posix_spawn_file_actions_destroy(fa);
    for (const fd of theirs) closeFd(fd);
    if (!spawned) { for (const fd of ends) if (fd !== undefined) closeFd(fd); }
  }
}

function openDevNull(): number {
  const fd = libc().open(cstr("/dev/null"), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) throw syscallError("open", errno(), "/dev/null");
  return fd;
}

/** How a child ended. */
export type WaitStatus = { code: number; signal?: undefined } | {
  code?: undefined;
  signal: number;
};

function decodeStatus(s: number): WaitStatus {
  if ((s & 0x7f) === 0) return { code: (s >> 8) & 0xff };
  return { signal: s & 0x7f };
}

/**
 * Wait for child `pid` on the calling thread (blocking). For a thread whose
 * pid_for_children was changed with setns(): it cannot start threads, so
 * nothing that needs a worker thread may run there.
 */
export function waitChildSync(pid: number): WaitStatus {
  const st = new Int32Array(1);
  for (;;) {
    if (libc().waitpid(pid, new Uint8Array(st.buffer), 0) === pid) return decodeStatus(st[0]);
    const e = errno();
    if (e !== EINTR) throw syscallError("waitpid", e, String(pid));
  }
}

/**
 * Wait for child `pid` on a worker thread (the event loop keeps running):
 * for a process Deno did not spawn itself, e.g. a container init that a
 * forking stage left to us as its subreaper.
 */
export async function waitChild(pid: number): Promise<WaitStatus> {
  const st = new Int32Array(1);
  for (;;) {
    const r = await libc().waitpid_async(pid, new Uint8Array(st.buffer), __WALL);
    if (r === pid) return decodeStatus(st[0]);
    // errno of the worker thread is not readable here: EINTR is the only retryable failure,
    // ECHILD (not our child, or already reaped) ends the wait
    if (!childExists(pid)) throw syscallError("waitpid", 10, String(pid));
  }
}

/** Whether `pid` is still a (possibly zombie) process. */
function childExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false; // reaped
    throw err;
  }
}

const __WALL = 0x40000000;

/** prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are reparented to this process. */
export function becomeSubreaper(): void {
  check("prctl(PR_SET_CHILD_SUBREAPER)", libc().prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n));
}

/** A memfd holding `text`, positioned at 0 (close-on-exec; dup2 makes a child's copy). */
export function memfdWithText(name: string, text: string): number {
  const fd = libc().memfd_create(cstr(name), MFD_CLOEXEC);
  if (fd < 0) throw syscallError("memfd_create", errno());
  const b = new TextEncoder().encode(text);
  writeAll(fd, b);
  if (Number(libc().lseek(fd, 0n, 0)) < 0) throw syscallError("lseek", errno());
  return fd;
}

const WNOHANG = 1;

/**
 * Wait for child `pid`, polling (the event loop keeps running); after
 * `timeoutMs` it is SIGKILLed and reaped, and undefined is returned.
 */
export async function waitChildTimeout(
  pid: number,
  timeoutMs?: number,
): Promise<WaitStatus | undefined> {
  const st = new Int32Array(1);
  const end = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  for (let delay = 1;; delay = Math.min(delay * 2, 50)) {
    const r = libc().waitpid(pid, new Uint8Array(st.buffer), WNOHANG);
    if (r === pid) return decodeStatus(st[0]);
    if (r === -1 && errno() !== EINTR) throw syscallError("waitpid", errno(), String(pid));
    if (Date.now() > end) {
      libc().kill(pid, 9);
      waitChildSync(pid);
      return undefined;
    }
    await new Promise((res) => setTimeout(res, delay));
  }
}
