/**
 * Run a program to its exit and collect what it wrote, as Deno.Command's
 * `output()` does, but with posix_spawn and raw pipes (ffi/spawn.ts). The
 * first Deno.Command of a process loads Deno's process module, and a piped
 * stdio its streams and node:timers: ~15–20 ms of cold code in each
 * short-lived tsbox process that runs conmon or a CNI plugin, on the way to
 * every detached or bridged start.
 * @module
 */

import { resolve } from "./posix_path.ts";
import { spawnWithStdio, waitChild } from "../ffi/spawn.ts";
import { closeFd, pollReadable, readAsync, writeAll } from "../ffi/fds.ts";
import { kill, pidfdOpen } from "../ffi/process.ts";
import { concatBytes } from "./bytes.ts";

/** How a program ran. */
export interface SpawnOutput {
  /** Its exit code, or 128+N when signal N killed it. */
  code: number;
  /** The signal that killed it. */
  signal?: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** `timeoutMs` passed and it was killed. */
  timedOut: boolean;
}

/** Options of `spawnOutput`. */
export interface SpawnOutputOptions {
  /** Added to our environment, or the whole of it with `clearEnv`. */
  env?: Record<string, string>;
  clearEnv?: boolean;
  cwd?: string;
  /**
   * Its stdin (else /dev/null), written whole before its output is read:
   * for inputs a pipe holds at once (64 KiB), which the program reads first.
   */
  stdin?: Uint8Array;
  /** SIGKILL it after this long. */
  timeoutMs?: number;
}

/** A pipe takes this much before a writer blocks (Linux's default). */
const PIPE_BUFFER = 64 * 1024;

/**
 * Run `path` (absolute, or relative to our cwd) with `args` until it exits.
 * @throws {SyscallError} it could not be started (ENOENT, EACCES, ...).
 * @throws {RangeError} `stdin` is larger than a pipe holds.
 */
export async function spawnOutput(
  path: string,
  args: string[],
  opts: SpawnOutputOptions = {},
): Promise<SpawnOutput> {
  if (opts.stdin && opts.stdin.length > PIPE_BUFFER) {
    throw new RangeError(
      `spawnOutput: stdin of ${opts.stdin.length} bytes, more than a pipe holds`,
    );
  }
  const exe = resolve(path); // the spawn changes to `cwd` before it executes `exe`
  const env = opts.clearEnv ? opts.env ?? {} : { ...Deno.env.toObject(), ...opts.env };
  const { pid, ends } = spawnWithStdio(
    exe,
    [exe, ...args],
    Object.entries(env).map(([k, v]) => `${k}=${v}`),
    [opts.stdin ? "piped" : "null", "piped", "piped"],
    opts.cwd,
  );
  let timedOut = false;
  // the watchdog polls the child's pidfd: JavaScript's first timer loads node:timers (~8 ms)
  const ms = opts.timeoutMs;
  const pidfd = ms === undefined ? undefined : pidfdOpen(pid);
  const watchdog = pidfd === undefined ? undefined : (async () => {
    const end = Date.now() + ms!;
    // a poll cut short (EINTR) answers "not yet" too: it polls again for what is left
    for (let left = ms!; left > 0; left = end - Date.now()) {
      if ((await pollReadable([pidfd], left))[0]) return;
    }
    timedOut = kill(pid, 9);
  })();
  const timer = ms === undefined || pidfd !== undefined ? undefined : setTimeout(() => {
    timedOut = kill(pid, 9);
  }, ms);
  try {
    if (opts.stdin) {
      try {
        writeAll(ends[0]!, opts.stdin);
      } catch {
        // it exited without reading (EPIPE): what it said and its status tell why
      } finally {
        closeFd(ends[0]!);
      }
    }
    const [stdout, stderr] = await Promise.all([drain(ends[1]!), drain(ends[2]!)]);
    const st = await waitChild(pid);
    await watchdog; // the pidfd is readable from the exit on
    return st.signal !== undefined
      ? { code: 128 + st.signal, signal: st.signal, stdout, stderr, timedOut }
      : { code: st.code, stdout, stderr, timedOut };
  } finally {
    // only if set: the global's first read alone loads node:timers (~8 ms of cold code)
    if (timer !== undefined) clearTimeout(timer);
    // its poll holds the pidfd until the exit (or the timeout), even on a failure here
    if (pidfd !== undefined) void watchdog!.then(() => closeFd(pidfd));
  }
}

/** Everything `fd` yields until EOF; the fd is closed. */
async function drain(fd: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const buf = new Uint8Array(16384);
      const n = await readAsync(fd, buf);
      if (n === null) break;
      chunks.push(buf.subarray(0, n));
    }
  } finally {
    closeFd(fd);
  }
  return concatBytes(chunks);
}
