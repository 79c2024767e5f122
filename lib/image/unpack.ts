/**
 * Apply a layer to a directory: files, dirs, symlinks, hardlinks, devices
 * and fifos with modes (incl. setuid/sticky), owners, xattrs and mtimes;
 * OCI whiteouts become overlayfs whiteouts (see layer_writer.ts). Nothing
 * is ever written outside `dest` (see safe_path.ts). Two entry points: a
 * tar stream (`extractLayer`), and a whole layer blob pushed as it arrives
 * (`LayerStream`: sniff the compression, decompress, hash the diff id,
 * parse and extract in one pass, with no promise per entry).
 * Needs root for chown/mknod/trusted xattrs.
 * @module
 */

import { AT_FDCWD, O_DIRECTORY, O_NOFOLLOW, O_RDONLY } from "../../ffi/consts.ts";
import { DigestCounter } from "./digest.ts";
import { PushDecompressor, sniffCompression } from "./decompress.ts";
import { LayerWriter, type UnpackKernel } from "./layer_writer.ts";
import { TarParser } from "./tar_parse.ts";

export { isOverlayXattr, type UnpackKernel, xattrsOf } from "./layer_writer.ts";

/**
 * Extract the (uncompressed) tar in `src` into `dest`, an existing empty dir.
 * @throws {ImageError} an unsafe, unsupported or malformed entry (names it).
 * @throws {SyscallError} a kernel call failed.
 */
export async function extractLayer(
  src: AsyncIterable<Uint8Array>,
  dest: string,
  kernel: UnpackKernel,
  what: string,
): Promise<void> {
  const x = new Extraction(dest, kernel, what);
  try {
    for await (const chunk of src) x.push(chunk);
    x.finish();
  } finally {
    x.close();
  }
}

/** What a streamed layer turned out to be. */
export interface StreamedLayer {
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** Uncompressed tar size. */
  tarSize: number;
}

/**
 * Where a layer blob's bytes go, in order: `write` them (waiting when a
 * promise is returned), then `end`. Always `close` (also after an error);
 * the directory's content is the caller's to remove on failure, once
 * `close` has resolved.
 */
export interface LayerBytes {
  write(chunk: Uint8Array): Promise<void> | undefined;
  end(): Promise<StreamedLayer>;
  close(): void | Promise<void>;
}

/** A layer blob extracted on this thread while it is being read or downloaded. */
export class LayerStream implements LayerBytes {
  readonly #x: Extraction;
  readonly #counter = new DigestCounter();
  #dec?: PushDecompressor;
  /** The first bytes, held until there are enough to sniff the compression. */
  #head: Uint8Array = new Uint8Array(0);

  /** Open `dest` (an existing empty dir) for extraction. @throws {SyscallError} */
  constructor(dest: string, kernel: UnpackKernel, private readonly what: string) {
    this.#x = new Extraction(dest, kernel, what);
  }

  /** Tar entries extracted so far. */
  get entries(): number {
    return this.#x.entries;
  }

  /**
   * Feed blob bytes. Resolves (when it returns a promise) once more may be written.
   * @throws {ImageError} corrupt data, an unsafe or malformed entry. @throws {SyscallError}
   */
  write(chunk: Uint8Array): Promise<void> | undefined {
    if (!this.#dec) {
      if (this.#head.length + chunk.length < 4) {
        this.#head = concat(this.#head, chunk);
        return;
      }
      chunk = this.#head.length ? concat(this.#head, chunk) : chunk;
      this.#head = new Uint8Array(0);
      this.#dec = new PushDecompressor(sniffCompression(chunk), this.what, (raw) => {
        this.#counter.update(raw);
        this.#x.push(raw);
      });
    }
    return this.#dec.write(chunk);
  }

  /** End of the blob: flush, check the tar ended cleanly, set directory times. */
  async end(): Promise<StreamedLayer> {
    if (!this.#dec) {
      // a blob of under 4 bytes: too short for any magic
      this.#dec = new PushDecompressor("none", this.what, (raw) => {
        this.#counter.update(raw);
        this.#x.push(raw);
      });
      if (this.#head.length) this.#dec.write(this.#head);
    }
    await this.#dec.end();
    this.#x.finish();
    return { diffId: this.#counter.digest(), tarSize: this.#counter.size };
  }

  /** Release the fds (and stop decompressing, if still running). */
  close(): void {
    this.#dec?.destroy();
    this.#x.close();
  }
}

/** Parser + writer on an opened root: the pieces both entry points share. */
class Extraction {
  readonly #rootFd: number;
  readonly #writer: LayerWriter;
  readonly #parser: TarParser;
  #closed = false;

  constructor(dest: string, private readonly kernel: UnpackKernel, what: string) {
    this.#rootFd = kernel.openat(AT_FDCWD, dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
    this.#writer = new LayerWriter(kernel, this.#rootFd, what);
    this.#parser = new TarParser(this.#writer, what);
  }

  get entries(): number {
    return this.#writer.entries;
  }

  /** Tar bytes; anything after the end-of-archive marker is ignored (but still hashed by callers). */
  push(chunk: Uint8Array): void {
    if (!this.#parser.done) this.#parser.push(chunk);
  }

  finish(): void {
    this.#parser.finish();
    this.#writer.finish();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#writer.close();
    } finally {
      this.kernel.close(this.#rootFd);
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
