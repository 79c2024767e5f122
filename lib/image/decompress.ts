/**
 * Layer decompression: gzip and zstd (node:zlib, streaming) or none. The
 * media type must be one tsbox understands; the actual compression is then
 * sniffed from the magic bytes, because docker-archive layers carry no media
 * type and some images label uncompressed layers as gzip. Two shapes: a
 * pull-based `decompress` over an async iterable, and a push-based
 * `PushDecompressor` for streaming pipelines (bytes in as they arrive,
 * decompressed chunks out through a callback).
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

/** Output chunk size of the zlib streams (fewer, larger chunks: fewer writes downstream). */
const CHUNK = 256 * 1024;

/**
 * Push-based decompression: `write` compressed bytes in order, decompressed
 * chunks arrive through `onData` (synchronously for "none"). An error of
 * `onData` or of the data stops the decompressor and is thrown by the next
 * `write`/`end`.
 */
export class PushDecompressor {
  #dec?: zlib.Gunzip | zlib.ZstdDecompress;
  #err: unknown;
  #ended?: Promise<void>;

  constructor(
    readonly compression: Compression,
    private readonly what: string,
    private readonly onData: (chunk: Uint8Array) => void,
  ) {
    if (compression === "none") return;
    const dec = compression === "gzip"
      ? zlib.createGunzip({ chunkSize: CHUNK })
      : zlib.createZstdDecompress({ chunkSize: CHUNK });
    dec.on("data", (chunk: Uint8Array) => {
      if (this.#err !== undefined) return;
      try {
        this.onData(chunk);
      } catch (err) {
        this.#fail(err);
      }
    });
    dec.on("error", (err) => this.#fail(corrupt(err, compression, what)));
    this.#dec = dec;
  }

  /** Feed compressed bytes; the promise (when there is one) resolves when more may be written. */
  write(chunk: Uint8Array): Promise<void> | undefined {
    if (this.#err !== undefined) throw this.#err;
    if (!this.#dec) {
      this.onData(chunk);
      return;
    }
    if (this.#dec.write(chunk)) return;
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.#dec!.off("drain", done);
        this.#dec!.off("close", done);
        if (this.#err !== undefined) reject(this.#err);
        else resolve();
      };
      this.#dec!.on("drain", done);
      this.#dec!.on("close", done);
    });
  }

  /** End of input: resolves once every decompressed byte went to `onData`. */
  end(): Promise<void> {
    if (this.#err !== undefined) return Promise.reject(this.#err);
    const dec = this.#dec;
    if (!dec) return Promise.resolve();
    this.#ended ??= new Promise<void>((resolve, reject) => {
      const done = () => (this.#err !== undefined ? reject(this.#err) : resolve());
      dec.once("end", done);
      dec.once("close", done);
      dec.end();
    });
    return this.#ended;
  }

  /** Stop (after a failure elsewhere); later writes are refused. */
  destroy(): void {
    this.#err ??= new ImageError(`${this.what}: decompression cancelled`);
    this.#dec?.destroy();
  }

  #fail(err: unknown): void {
    this.#err ??= err;
    this.#dec?.destroy();
  }
}

function corrupt(err: unknown, c: Compression, what: string): unknown {
  const code = String((err as { code?: unknown })?.code ?? "");
  const msg = err instanceof Error ? err.message : "";
  if (code.startsWith("Z_") || /zstd|ZSTD/.test(code || msg)) {
    return new ImageError(`${what}: corrupt ${c} data`, { cause: err });
  }
  return err;
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
