/**
 * Layer decompression: gzip and zstd (node:zlib, streaming) or none. The
 * media type must be one tsbox understands; the actual compression is then
 * sniffed from the magic bytes, because docker-archive layers carry no media
 * type and some images label uncompressed layers as gzip.
 * @module
 */

import { pipeline, Readable } from "node:stream";
import * as zlib from "node:zlib";
import { ImageError } from "../errors.ts";

/** Layer media types that may be unpacked ("" = unknown, sniff). */
export const LAYER_MEDIA_TYPES: ReadonlySet<string> = new Set([
  "",
  "application/vnd.oci.image.layer.v1.tar",
  "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/vnd.oci.image.layer.v1.tar+zstd",
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  "application/vnd.docker.image.rootfs.diff.tar",
  "application/vnd.docker.image.rootfs.diff.tar.gzip",
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  "application/vnd.docker.image.rootfs.diff.tar.zstd",
]);

/** Compression found in a stream's first bytes. */
export type Compression = "gzip" | "zstd" | "none";

/**
 * Refuse media types that are not layer tars (e.g. `+bzip2`, helm charts).
 * @throws {ImageError} unsupported media type.
 */
export function checkLayerMediaType(mediaType: string, what: string): void {
  if (!LAYER_MEDIA_TYPES.has(mediaType)) {
    throw new ImageError(`unsupported media type "${mediaType}" for layer ${what}`, {
      hint: "layers must be tar, tar+gzip or tar+zstd",
    });
  }
}

/** Compression from magic bytes (gzip 1f8b, zstd 28b52ffd). */
export function sniffCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (
    head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd
  ) return "zstd";
  return "none";
}

/** Media type that describes a tar with the given compression (OCI spelling). */
export function ociLayerMediaType(c: Compression): string {
  const base = "application/vnd.oci.image.layer.v1.tar";
  return c === "gzip" ? `${base}+gzip` : c === "zstd" ? `${base}+zstd` : base;
}

/** Read the first `n` bytes of a file (fewer if it is shorter). */
export function readHead(path: string, n = 8): Uint8Array {
  const f = Deno.openSync(path);
  try {
    const buf = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const r = f.readSync(buf.subarray(got));
      if (r === null) break;
      got += r;
    }
    return buf.subarray(0, got);
  } finally {
    f.close();
  }
}

/**
 * Decompressed chunks of `src` (passed through when `c` is "none").
 * Corrupt input surfaces as an ImageError while iterating.
 */
export function decompress(
  src: AsyncIterable<Uint8Array>,
  c: Compression,
  what: string,
): AsyncIterable<Uint8Array> {
  if (c === "none") return src;
  const dec = c === "gzip" ? zlib.createGunzip() : zlib.createZstdDecompress();
  // pipeline destroys `dec` with the source's error, so the consumer sees it
  pipeline(Readable.from(src), dec, (err) => void err);
  return wrapErrors(dec as AsyncIterable<Uint8Array>, c, what);
}

async function* wrapErrors(
  src: AsyncIterable<Uint8Array>,
  c: Compression,
  what: string,
): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of src) yield chunk;
  } catch (err) {
    if (err instanceof Error && "code" in err && String(err.code).startsWith("Z_")) {
      throw new ImageError(`${what}: corrupt ${c} data`, { cause: err });
    }
    if (
      err instanceof Error &&
      /zstd|ZSTD/.test(String((err as { code?: unknown }).code ?? err.message))
    ) {
      throw new ImageError(`${what}: corrupt ${c} data`, { cause: err });
    }
    throw err;
  }
}
