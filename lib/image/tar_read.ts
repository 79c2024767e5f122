/**
 * Streaming tar reading on top of tar-stream: an async generator of
 * entries fed from any async iterable of bytes, with backpressure, and tar
 * format errors turned into one ImageError line.
 * @module
 */

import tar from "tar-stream";
import { ImageError, TsboxError } from "../errors.ts";
import { TarFormatError } from "./tar_parse.ts";

/** The header fields tsbox uses (tar-stream's decoded header). */
export interface TarHeader {
  name: string;
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime?: Date;
  linkname?: string | null;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string> | null;
}

/** One entry: its header and its data (read it fully, or call `drainEntry`). */
export interface TarEntry extends AsyncIterable<Uint8Array> {
  header: TarHeader;
}

/**
 * Iterate the entries of the tar in `src`. Each entry must be fully read or
 * drained before the next is requested: destroying an entry stream would
 * destroy the whole extractor.
 * @throws {ImageError} the data is not a valid (or is a truncated) tar.
 */
export async function* readTar(
  src: AsyncIterable<Uint8Array>,
  what: string,
): AsyncGenerator<TarEntry> {
  const extract = tar.extract();
  const closed = new Promise<void>((resolve) => extract.once("close", () => resolve()));
  let sourceError: unknown;
  const feed = (async () => {
    try {
      let total = 0;
      for await (const chunk of src) {
        if (extract.destroyed) return;
        total += chunk.length;
        if (!extract.write(chunk)) {
          await Promise.race([new Promise<void>((r) => extract.once("drain", () => r())), closed]);
        }
      }
      // Some writers (umoci 0.4) omit the two zero end-of-archive blocks; like Go's
      // reader, accept a stream that ends cleanly on a header boundary.
      if (total % 512 === 0 && !extract.destroyed) extract.write(new Uint8Array(1024));
      extract.end();
    } catch (err) {
      // the source failed (corrupt gzip, read error): stop the extractor with it
      sourceError = err;
      extract.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  try {
    for await (const entry of extract as AsyncIterable<TarEntry>) {
      yield entry;
      await drainEntry(entry);
    }
  } catch (err) {
    if (sourceError !== undefined) throw sourceError;
    if (err instanceof ImageError) throw err;
    throw new ImageError(`${what}: not a valid tar archive`, { cause: err });
  } finally {
    if (!extract.destroyed) extract.destroy();
    await feed;
  }
  if (sourceError !== undefined) throw sourceError;
}

/** Read and discard the rest of an entry's data. */
export async function drainEntry(entry: TarEntry): Promise<void> {
  const s = entry as unknown as { readableEnded?: boolean; destroyed?: boolean };
  if (s.destroyed) return;
  for await (const chunk of entry) {
    // skipped content: reading is the only safe way to move past it
    void chunk;
  }
}

/** Read a whole (small) entry into memory, refusing more than `limit` bytes. */
export async function readEntryBytes(
  entry: TarEntry,
  limit: number,
  what: string,
): Promise<Uint8Array> {
  if (entry.header.size > limit) {
    throw new ImageError(`${what}: ${entry.header.name} is too large (${entry.header.size} bytes)`);
  }
  const out = new Uint8Array(entry.header.size);
  let off = 0;
  for await (const chunk of entry) {
    out.set(chunk, off);
    off += chunk.length;
  }
  return out;
}

/**
 * An error of reading archive `what` (e.g. `load /x.tar`) as one line that
 * names it: tsbox's own errors pass through, but a malformed layer tar
 * and the tar reader's bare errors ("Unexpected end of data" of a
 * truncated file) get the archive's name.
 */
export function namedArchiveError(what: string, err: unknown): unknown {
  if (err instanceof TarFormatError) {
    return new ImageError(`${what}: truncated or not a valid archive: ${err.why}`, { cause: err });
  }
  if (err instanceof TsboxError || !(err instanceof Error)) return err;
  if (err instanceof Deno.errors.PermissionDenied) return err;
  return new ImageError(`${what}: truncated or not a valid archive`, { cause: err });
}
