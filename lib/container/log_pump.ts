/**
 * Copy the container's output into its json log — the stdout/stderr pipes
 * (kept apart) or the pty master (all "stdout", as docker logs a tty
 * container) — and hand each chunk on (the attach socket, or our own
 * stdio in the foreground).
 * @module
 */

import { closeFd, pollReadable, readAsync, readNow, setNonBlocking } from "../../ffi/fds.ts";
import { setWinsize } from "../../ffi/pty.ts";
import type { JsonLogWriter, LogEntry } from "./log_file.ts";

/**
 * Also called with every chunk logged (the attach socket's fan-out, the
 * foreground's stdio); a promise holds the next read back until it settles.
 */
export type OutputTee = (
  stream: "stdout" | "stderr",
  bytes: Uint8Array,
) => Promise<void> | void;

/**
 * Copy the init's pipes (our read ends, as fds: no stream, whose machinery
 * costs a `run` ~4 ms to load) into the log until each is at EOF, then
 * close them. One poll serves them all, so output keeps its order across
 * stdout and stderr as far as the kernel tells it (a reader per pipe on
 * its own worker thread swapped lines written a moment apart). Never
 * rejects: a read error is recorded in the log writer.
 */
export async function pumpPipes(
  pipes: readonly { fd: number; name: "stdout" | "stderr" }[],
  log: JsonLogWriter,
  tee?: OutputTee,
): Promise<void> {
  const open = [...pipes];
  const buf = new Uint8Array(32 * 1024);
  let name: LogEntry["stream"] = open[0]?.name ?? "stdout";
  /** Copy what `p` holds now; true at its EOF. */
  const copyReady = async (p: (typeof open)[number]): Promise<boolean> => {
    name = p.name;
    for (let n; (n = readNow(p.fd, buf)) !== null;) {
      if (n === 0) return true;
      log.write(p.name, buf.subarray(0, n));
      await tee?.(p.name, buf.slice(0, n));
    }
    return false;
  };
  try {
    for (const p of open) setNonBlocking(p.fd);
    while (open.length) {
      const ready = await pollReadable(open.map((p) => p.fd));
      // in fd order, all that is there now
      const ended: typeof open = [];
      for (const [i, p] of open.entries()) if (ready[i] && await copyReady(p)) ended.push(p);
      for (const p of ended) {
        log.flush(p.name);
        closeFd(p.fd);
        open.splice(open.indexOf(p), 1);
      }
    }
  } catch (err) {
    log.failure ??= `reading the container's ${name} failed: ${(err as Error).message ?? err}`;
  } finally {
    for (const p of open) closeFd(p.fd);
  }
}

/**
 * Copy a pty master into the log until no process holds the slave (EIO),
 * then close the master (`onEnd` first: whatever writes to it must stop).
 * The size is docker's default for a detached tty.
 * Never rejects: an error is recorded in the log writer.
 */
export async function pumpPty(
  master: number,
  log: JsonLogWriter,
  tee?: OutputTee,
  onEnd?: () => void,
): Promise<void> {
  const buf = new Uint8Array(32 * 1024);
  try {
    setWinsize(master, 24, 80);
    for (;;) {
      const n = await readAsync(master, buf);
      if (n === null) break;
      log.write("stdout", buf.subarray(0, n));
      await tee?.("stdout", buf.slice(0, n));
    }
    log.flush("stdout");
  } catch (err) {
    log.failure ??= `reading the container's tty failed: ${(err as Error).message ?? err}`;
  } finally {
    onEnd?.();
    closeFd(master);
  }
}

/**
 * Wait for the pumps, at most `ms` after the container died: a pipe held
 * by a process that escaped the container must not keep the supervisor.
 * While `busy()` (the foreground still copying output to a slow reader of
 * ours) the wait goes on, `ms` at a time, so no output is lost.
 * A pump that rejects anyway is waited for like one that ended.
 */
export async function drain(
  pumps: Promise<void>[],
  ms = 2000,
  busy?: () => boolean,
): Promise<void> {
  if (!pumps.length) return;
  const all = Promise.allSettled(pumps).then(() => true);
  // most often the pumps ended with the container: then no timer (Deno sets its timers
  // up lazily, ~5 ms of a foreground run), only a few turns of the microtask queue
  let ended = false;
  all.then(() => (ended = true));
  for (let i = 0; i < 8 && !ended; i++) await Promise.resolve();
  if (ended) return;
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = await Promise.race([
      all,
      new Promise<false>((r) => (timer = setTimeout(() => r(false), ms))),
    ]);
    clearTimeout(timer);
    if (done || !busy?.()) return;
  }
}
