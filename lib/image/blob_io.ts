/**
 * Putting blobs into the store: stream to a temp file (or take an already
 * downloaded one), verify sha256 and size, then rename into
 * `blobs/sha256/<hex>`. A blob is never visible half-written or unverified.
 * @module
 */

import { ImageError } from "../errors.ts";
import { exists, removeIfExists } from "../fsutil.ts";
import { DigestCounter } from "./digest.ts";
import type { StoreLayout } from "./store_layout.ts";

/** Where the blob is and whether this call created it. */
export interface StoredBlob {
  path: string;
  created: boolean;
}

/**
 * Stream `data` into the store as `digest`. `protect` is called before the
 * rename (the caller leases the digest there).
 * @throws {ImageError} digest or size mismatch (the temp file is removed).
 */
export async function writeBlobFile(
  layout: StoreLayout,
  digest: string,
  data: ReadableStream<Uint8Array> | Uint8Array,
  size: number | undefined,
): Promise<StoredBlob> {
  const path = layout.blob(digest);
  if (exists(path)) {
    if (data instanceof ReadableStream) await data.cancel();
    return { path, created: false };
  }
  Deno.mkdirSync(layout.blobDir, { recursive: true });
  const tmp = layout.temp(layout.blobDir);
  const counter = new DigestCounter();
  try {
    const f = Deno.openSync(tmp, { write: true, createNew: true, mode: 0o644 });
    try {
      const chunks = data instanceof Uint8Array ? [data] : data;
      for await (const chunk of chunks) {
        counter.update(chunk);
        if (size !== undefined && counter.size > size) break; // too long: no need to read on
        // synchronous writes of the chunk itself: no copy, no round trip per chunk
        for (let off = 0; off < chunk.length;) off += f.writeSync(chunk.subarray(off));
      }
    } finally {
      f.close();
    }
    verifyBlob(digest, counter, size);
    Deno.renameSync(tmp, path);
    return { path, created: true };
  } catch (err) {
    removeIfExists(tmp);
    throw err;
  }
}

/**
 * Verify `tempFile` against `digest` and move it into the store. With
 * `verified` (its writer hashed every byte it wrote, under the blob's lock)
 * the file is not read again.
 * @throws {ImageError} mismatch (the file is removed: it is corrupt).
 */
export async function adoptBlobFile(
  layout: StoreLayout,
  digest: string,
  tempFile: string,
  verified = false,
): Promise<StoredBlob> {
  const path = layout.blob(digest);
  if (!verified) {
    const counter = new DigestCounter();
    const f = await Deno.open(tempFile);
    for await (const chunk of f.readable) counter.update(chunk);
    try {
      verifyBlob(digest, counter);
    } catch (err) {
      removeIfExists(tempFile);
      throw err;
    }
  }
  if (exists(path)) {
    removeIfExists(tempFile);
    return { path, created: false };
  }
  Deno.mkdirSync(layout.blobDir, { recursive: true });
  Deno.chmodSync(tempFile, 0o644);
  Deno.renameSync(tempFile, path);
  return { path, created: true };
}

/** @throws {ImageError} the counted content is not `digest` (or not `size` bytes). */
export function verifyBlob(digest: string, counter: DigestCounter, size?: number): void {
  if (size !== undefined && counter.size !== size) {
    const more = counter.size > size ? "+" : "";
    throw new ImageError(
      `blob ${digest}: size mismatch: expected ${size} bytes, got ${counter.size}${more}`,
    );
  }
  const got = counter.digest();
  if (got !== digest) throw new ImageError(`blob ${digest}: digest mismatch: content has ${got}`);
}
