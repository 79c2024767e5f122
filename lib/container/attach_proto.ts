/**
 * The attach socket between a detached container's monitor and `tsbox
 * attach`: a unix stream socket under the state root (`attach/`, mode
 * 0700, so only root reaches a container's stdin), carrying frames of
 * `[type: u8][length: u32 BE][payload]`. Client → monitor: STDIN bytes,
 * RESIZE (rows, cols: u16 BE each). Monitor → client: STDOUT / STDERR
 * bytes, then EXIT (the exit code: i32 BE) when the container ends, after
 * which the monitor closes the connection.
 * @module
 */

import { join } from "../posix_path.ts";
import type { Paths } from "../paths.ts";

/** Frame types. */
export const FRAME = { STDIN: 0, RESIZE: 1, STDOUT: 2, STDERR: 3, EXIT: 4 } as const;

/** One decoded frame. */
export interface Frame {
  type: number;
  payload: Uint8Array;
}

/** Directory of the attach sockets. */
export function attachDir(paths: Paths): string {
  return join(paths.root, "attach");
}

/**
 * The attach socket of container `id` (32 hex digits of the id keep the
 * path within sun_path's 108 bytes for a state root of up to ~60 bytes).
 */
export function attachSocketPath(paths: Paths, id: string): string {
  return join(attachDir(paths), `${id.slice(0, 32)}.sock`);
}

/** Encode one frame. */
export function encodeFrame(type: number, payload: Uint8Array = new Uint8Array()): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

/** A RESIZE frame. */
export function resizeFrame(rows: number, cols: number): Uint8Array {
  const p = new Uint8Array(4);
  const v = new DataView(p.buffer);
  v.setUint16(0, rows);
  v.setUint16(2, cols);
  return encodeFrame(FRAME.RESIZE, p);
}

/** An EXIT frame: the container ended with `code`. */
export function exitFrame(code: number): Uint8Array {
  const p = new Uint8Array(4);
  new DataView(p.buffer).setInt32(0, code);
  return encodeFrame(FRAME.EXIT, p);
}

/** The exit code of an EXIT payload. */
export function parseExit(p: Uint8Array): number {
  return new DataView(p.buffer, p.byteOffset, p.byteLength).getInt32(0);
}

/** Rows and columns of a RESIZE payload. */
export function parseResize(p: Uint8Array): { rows: number; cols: number } {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return { rows: v.getUint16(0), cols: v.getUint16(2) };
}

/** Splits a byte stream into frames; keeps a partial frame for the next push. */
export class FrameReader {
  #buf = new Uint8Array(0);

  /** Add bytes; returns the frames now complete. */
  push(chunk: Uint8Array): Frame[] {
    const joined = new Uint8Array(this.#buf.length + chunk.length);
    joined.set(this.#buf);
    joined.set(chunk, this.#buf.length);
    const out: Frame[] = [];
    let off = 0;
    while (joined.length - off >= 5) {
      const len = new DataView(joined.buffer, off + 1, 4).getUint32(0);
      if (joined.length - off - 5 < len) break;
      out.push({ type: joined[off], payload: joined.slice(off + 5, off + 5 + len) });
      off += 5 + len;
    }
    this.#buf = joined.slice(off);
    return out;
  }
}

/**
 * The sockets attached starts of container `id` listened on whose CLI is
 * gone (killed before it could remove its own): `<id12>-<pid>.cli.sock`
 * with no process `pid`. A live CLI's socket is left alone.
 */
export function removeStaleClientSockets(paths: Paths, id: string): void {
  let names: string[];
  try {
    names = [...Deno.readDirSync(attachDir(paths))].map((e) => e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return; // no attached start ever ran here
    throw err;
  }
  const prefix = `${id.slice(0, 12)}-`;
  for (const name of names) {
    const pid = name.startsWith(prefix) && /^(\d+)\.cli\.sock$/.exec(name.slice(prefix.length));
    if (!pid) continue;
    try {
      Deno.statSync(`/proc/${pid[1]}`);
      continue; // its CLI is still there
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    removeStaleSocket(join(attachDir(paths), name));
  }
}

/** Remove a socket file if present. */
export function removeStaleSocket(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err; // none: the monitor removed it
  }
}
