/**
 * `run -a/--attach STREAM`: a foreground run connects only the streams
 * named (docker's default, without -a, is stdout and stderr, plus stdin
 * with -i); the others are not connected to the caller.
 * @module
 */

import { closeFd, readAsync, writeAll } from "../../ffi/fds.ts";
import { setWinsize } from "../../ffi/pty.ts";
import type { AttachedStreams } from "./runner.ts";
import type { AttachInput } from "./attach_hub.ts";

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

/** Attach input into a pty master (blocking writes of small chunks) and its window size. */
export function ptyInput(master: number): AttachInput {
  return {
    write: (bytes) => writeAll(master, bytes),
    resize: (rows, cols) => setWinsize(master, rows, cols),
  };
}

/** Attach input into the stdin pipe of a `-i` container (writes in order). */
export function pipeInput(stdin: WritableStream<Uint8Array>): AttachInput {
  const w = stdin.getWriter();
  let chain = Promise.resolve();
  return {
    write: (bytes) => {
      chain = chain.then(() => w.write(bytes)).catch(() => {
        // the container closed its stdin or exited: the input has nowhere to go
      });
    },
  };
}
