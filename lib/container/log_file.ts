/**
 * The container log, in docker's json-file format: one JSON object per
 * line, `{"log":"…\n","stream":"stdout"|"stderr","time":"RFC 3339"}`.
 * Output is split at newlines per stream (stdout and stderr never mix in
 * one entry); a line longer than 16 KiB is cut into several entries, as
 * docker does; a last line without newline is written when the stream ends.
 * @module
 */

import { join } from "../posix_path.ts";
import type { Paths } from "../paths.ts";
import { containerDir } from "../paths.ts";
import type { LogRotation } from "./log_config.ts";

/** One log entry. */
export interface LogEntry {
  stream: "stdout" | "stderr";
  /** ISO time the line was read. */
  time: string;
  /** The text, with its trailing newline when it had one. */
  log: string;
}

/** Where container `id` logs (`containers/<id>/<id>-json.log`, like docker). */
export function logPath(paths: Paths, id: string): string {
  return join(containerDir(paths, id), `${id}-json.log`);
}

const MAX_LINE = 16 * 1024;
const enc = new TextEncoder();

/**
 * The log files of container `id`, oldest first: rotated ones
 * (`<log>.N` … `<log>.1`) then the current one; only those that exist.
 */
export function logFiles(paths: Paths, id: string): string[] {
  const base = logPath(paths, id);
  const rotated: [number, string][] = [];
  try {
    for (const e of Deno.readDirSync(containerDir(paths, id))) {
      const m = /\.(\d+)$/.exec(e.name);
      if (m && e.name === `${id}-json.log.${m[1]}`) {
        rotated.push([Number(m[1]), join(containerDir(paths, id), e.name)]);
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return [...rotated.sort((a, b) => b[0] - a[0]).map(([, p]) => p), base];
}

/**
 * Appends entries to a log file; one writer per container run. A write
 * error (a full disk) never escapes: the entry is dropped, the first error
 * is kept in `failure`, and writing resumes when the disk has room again
 * (after a newline, so the torn entry stays one skippable line).
 */
export class JsonLogWriter {
  #file: Deno.FsFile;
  #torn = false;
  /** The first write error, as one line; undefined while every entry was written. */
  failure?: string;
  /** Entries dropped because they could not be written. */
  dropped = 0;
  #path: string;
  #rotation?: LogRotation;
  #size: number;
  #pending: Record<LogEntry["stream"], Uint8Array[]> = { stdout: [], stderr: [] };
  #pendingLen: Record<LogEntry["stream"], number> = { stdout: 0, stderr: 0 };
  #dec = new TextDecoder();
  #closed = false;

  /** Open (create/append) `path`; with `rotation`, roll it over at `maxSize` bytes. */
  constructor(path: string, rotation?: LogRotation) {
    this.#path = path;
    this.#rotation = rotation;
    this.#file = Deno.openSync(path, { create: true, append: true, mode: 0o640 });
    this.#size = this.#file.statSync().size;
  }

  /** Add bytes read from `stream`; complete lines are written at once. */
  write(stream: LogEntry["stream"], chunk: Uint8Array): void {
    if (this.#closed) return; // a pump that outlived the drain timeout
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl + 1;
      this.#append(stream, chunk.subarray(start, end));
      if (nl >= 0 && this.#pendingLen[stream]) this.#emit(stream);
      start = end;
    }
  }

  /** Write what is left of `stream` (it ended without a newline). */
  flush(stream: LogEntry["stream"]): void {
    if (!this.#closed && this.#pendingLen[stream]) this.#emit(stream);
  }

  /** Flush both streams and close the file. */
  close(): void {
    this.flush("stdout");
    this.flush("stderr");
    this.#closed = true;
    this.#file.close();
  }

  /** Buffer bytes of one line, emitting an entry each time the line reaches MAX_LINE. */
  #append(stream: LogEntry["stream"], bytes: Uint8Array): void {
    while (bytes.length) {
      const part = bytes.subarray(0, MAX_LINE - this.#pendingLen[stream]);
      this.#pending[stream].push(part.slice());
      this.#pendingLen[stream] += part.length;
      bytes = bytes.subarray(part.length);
      if (this.#pendingLen[stream] >= MAX_LINE) this.#emit(stream);
    }
  }

  #emit(stream: LogEntry["stream"]): void {
    const parts = this.#pending[stream];
    const all = new Uint8Array(this.#pendingLen[stream]);
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    this.#pending[stream] = [];
    this.#pendingLen[stream] = 0;
    const entry: LogEntry = { log: this.#dec.decode(all), stream, time: new Date().toISOString() };
    const line = enc.encode((this.#torn ? "\n" : "") + JSON.stringify(entry) + "\n");
    // O_APPEND: one write per entry keeps lines whole even with a concurrent reader
    let n = 0;
    try {
      const r = this.#rotation;
      if (r && this.#size > 0 && this.#size + line.length > r.maxSize) this.#rotate(r);
      while (n < line.length) n += this.#file.writeSync(line.subarray(n));
      this.#torn = false;
    } catch (err) {
      // ENOSPC, EIO, EFBIG: the container must not die of its log
      this.dropped++;
      this.failure ??= `writing the log failed: ${(err as Error).message ?? err}`;
      if (n > 0) this.#torn = true;
    }
    this.#size += n;
  }

  /**
   * docker's json-file rotation: `log.N-1` → `log.N` … `log` → `log.1`, the
   * oldest beyond max-file dropped; with max-file 1 the file starts over.
   */
  #rotate(r: LogRotation): void {
    this.#file.close();
    const p = this.#path;
    if (r.maxFile <= 1) {
      this.#file = Deno.openSync(p, { write: true, truncate: true, mode: 0o640 });
      this.#file.close();
    } else {
      try {
        Deno.removeSync(`${p}.${r.maxFile - 1}`);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err; // fewer files so far
      }
      for (let i = r.maxFile - 2; i >= 1; i--) {
        try {
          Deno.renameSync(`${p}.${i}`, `${p}.${i + 1}`);
        } catch (err) {
          if (!(err instanceof Deno.errors.NotFound)) throw err; // not rotated that far yet
        }
      }
      Deno.renameSync(p, `${p}.1`);
    }
    this.#file = Deno.openSync(p, { create: true, append: true, mode: 0o640 });
    this.#size = 0;
  }
}

/** Parse complete lines of a log file; a torn or foreign line is skipped. */
export function parseLogLines(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const l of text.split("\n")) {
    if (!l) continue;
    try {
      const e = JSON.parse(l) as LogEntry;
      if (typeof e.log === "string" && (e.stream === "stdout" || e.stream === "stderr")) {
        out.push(e);
      }
    } catch (err) {
      // a line cut by a crash mid-write: docker's reader skips those too
      if (!(err instanceof SyntaxError)) throw err;
    }
  }
  return out;
}
