/**
 * `run -a/--attach STREAM`: a foreground run connects only the streams
 * named (docker's default, without -a, is stdout and stderr, plus stdin
 * with -i); the others are not connected to the caller — but all of them
 * are logged, as docker logs them.
 * @module
 */

import { writeAll } from "../../ffi/fds.ts";
import { setWinsize } from "../../ffi/pty.ts";
import type { AttachedStreams } from "./runner.ts";
import type { AttachInput } from "./attach_hub.ts";
import type { OutputTee } from "./log_pump.ts";

/** The streams of `-a` values (`stdin`, `stdout`, `stderr`); undefined when none was given. */
export function attachedStreams(attach: string[] | undefined): AttachedStreams | undefined {
  if (!attach?.length) return undefined;
  return {
    stdin: attach.includes("stdin"),
    stdout: attach.includes("stdout"),
    stderr: attach.includes("stderr"),
  };
}

/** True when writing to our stdout/stderr failed because nobody reads it any more. */
export function outputGone(err: unknown): boolean {
  return err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.BadResource;
}

/** Output copied after the container's end that the drain waits for at most. */
const MAX_TAIL = 4 << 20;

/**
 * The foreground's copy of the container's stdout/stderr (after the log)
 * to our own, each to its own stream, only those `-a` attaches. A write
 * holds the container's next read back, as an inherited pipe would; a
 * stream whose reader went away stops being copied (the logging goes on).
 */
export class StdioTee {
  #inFlight = 0;
  #wrote = false;
  #gone = { stdout: false, stderr: false };
  #copied = 0;
  #mark?: number;

  constructor(readonly attach?: AttachedStreams) {}

  /** The tee for the log pumps. Never rejects. */
  readonly tee: OutputTee = async (stream, bytes) => {
    if (this.attach?.[stream] === false || this.#gone[stream]) return;
    const out = stream === "stdout" ? Deno.stdout : Deno.stderr;
    this.#inFlight++;
    try {
      let off = 0;
      while (off < bytes.length) off += await out.write(bytes.subarray(off));
      this.#wrote = true;
      this.#copied += bytes.length;
    } catch (err) {
      // a closed pipe (or any failure to write there): from now on the stream is only logged;
      // the pump must go on reading, or the container would block on a full pipe
      this.#gone[stream] = true;
      if (!outputGone(err)) console.error(`tsbox: copying the container's ${stream}: ${err}`);
    } finally {
      this.#inFlight--;
    }
  };

  /**
   * True while a write is under way or one was made since the last call
   * (the drain waits on). Not beyond MAX_TAIL bytes from the first call:
   * what a dead container left in the pipes is far less; more comes from
   * a process that escaped it (shared PID namespace), which must not keep us.
   */
  busy(): boolean {
    this.#mark ??= this.#copied;
    const b = (this.#inFlight > 0 || this.#wrote) && this.#copied - this.#mark <= MAX_TAIL;
    this.#wrote = false;
    return b;
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
