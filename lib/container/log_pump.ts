/**
 * Detached mode: copy the container's output into its json log — the
 * stdout/stderr pipes (kept apart) or the pty master (all "stdout", as
 * docker logs a tty container).
 * @module
 */

import { closeFd, readAsync } from "../../ffi/fds.ts";
import { setWinsize } from "../../ffi/pty.ts";
import type { JsonLogWriter, LogEntry } from "./log_file.ts";

/** Copy one pipe into the log until EOF. */
export async function pumpStream(
  stream: ReadableStream<Uint8Array>,
  name: LogEntry["stream"],
  log: JsonLogWriter,
): Promise<void> {
  for await (const chunk of stream) log.write(name, chunk);
  log.flush(name);
}

/**
 * Copy a pty master into the log until no process holds the slave (EIO),
 * then close the master. The size is docker's default for a detached tty.
 */
export async function pumpPty(master: number, log: JsonLogWriter): Promise<void> {
  setWinsize(master, 24, 80);
  const buf = new Uint8Array(32 * 1024);
  try {
    for (;;) {
      const n = await readAsync(master, buf);
      if (n === null) break;
      log.write("stdout", buf.subarray(0, n));
    }
    log.flush("stdout");
  } finally {
    closeFd(master);
  }
}

/**
 * Wait for the pumps, at most `ms` after the container died: a pipe held
 * by a process that escaped the container must not keep the supervisor.
 */
export async function drain(pumps: Promise<void>[], ms = 2000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(pumps),
    new Promise((r) => (timer = setTimeout(r, ms))),
  ]);
  clearTimeout(timer);
}
