/**
 * `run -a/--attach STREAM`: a foreground run connects only the streams
 * named (docker's default, without -a, is stdout and stderr, plus stdin
 * with -i); the others are not connected to the caller.
 * @module
 */

import { closeFd, readAsync } from "../../ffi/fds.ts";
import type { AttachedStreams } from "./runner.ts";

/** The streams of `-a` values (`stdin`, `stdout`, `stderr`); undefined when none was given. */
export function attachedStreams(attach: string[] | undefined): AttachedStreams | undefined {
  if (!attach?.length) return undefined;
  return {
    stdin: attach.includes("stdin"),
    stdout: attach.includes("stdout"),
    stderr: attach.includes("stderr"),
  };
}

/** Read and drop a pty's output (a -t container whose output is not attached must not block). */
export async function discardPty(master: number): Promise<void> {
  const buf = new Uint8Array(32 * 1024);
  try {
    // EOF or EIO (the last slave fd closed) ends it; the bytes are dropped
    while ((await readAsync(master, buf)) !== null) continue;
  } finally {
    closeFd(master);
  }
}
