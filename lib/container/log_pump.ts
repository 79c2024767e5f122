/**
 * Detached mode: copy the container's output into its json log — the
 * stdout/stderr pipes (kept apart) or the pty master (all "stdout", as
 * docker logs a tty container).
 * @module
 */

import { closeFd, readAsync } from "../../ffi/fds.ts";
import { setWinsize } from "../../ffi/pty.ts";
import type { JsonLogWriter, LogEntry } from "./log_file.ts";

/** Also called with every chunk logged (the attach socket's fan-out). */
export type OutputTee = (stream: "stdout" | "stderr", bytes: Uint8Array) => void;

/** Copy one pipe into the log until EOF. Never rejects: a read error is recorded in the log writer. */
export async function pumpStream(
  stream: ReadableStream<Uint8Array>,
  name: LogEntry["stream"],
  log: JsonLogWriter,
  tee?: OutputTee,
): Promise<void> {
  try {
    for await (const chunk of stream) {
      log.write(name, chunk);
      tee?.(name as "stdout" | "stderr", chunk);
    }
    log.flush(name);
  } catch (err) {
    log.failure ??= `reading the container's ${name} failed: ${(err as Error).message ?? err}`;
  }
}

/**
 * Copy a pty master into the log until no process holds the slave (EIO),
 * then close the master. The size is docker's default for a detached tty.
 * Never rejects: an error is recorded in the log writer.
 */
export async function pumpPty(
  master: number,
  log: JsonLogWriter,
  tee?: OutputTee,
): Promise<void> {
  const buf = new Uint8Array(32 * 1024);
  try {
    setWinsize(master, 24, 80);
    for (;;) {
      const n = await readAsync(master, buf);
      if (n === null) break;
      log.write("stdout", buf.subarray(0, n));
      tee?.("stdout", buf.slice(0, n));
    }
    log.flush("stdout");
  } catch (err) {
    log.failure ??= `reading the container's tty failed: ${(err as Error).message ?? err}`;
  } finally {
    closeFd(master);
  }
}

/**
 * Wait for the pumps, at most `ms` after the container died: a pipe held
 * by a process that escaped the container must not keep the supervisor.
 * A pump that rejects anyway is waited for like one that ended.
 */
export async function drain(pumps: Promise<void>[], ms = 2000): Promise<void> {
  if (!pumps.length) return; // (a timer costs a foreground run ~5 ms: Deno sets its timers up lazily)
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.allSettled(pumps),
    new Promise((r) => (timer = setTimeout(r, ms))),
  ]);
  clearTimeout(timer);
}
