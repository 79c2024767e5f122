/**
 * Unpacking a layer blob into `layers/<diffid>/`: extract into a temp dir
 * while hashing the uncompressed stream, then rename the finished dir into
 * place (or drop it when another process got there first), and remember
 * blob → diff id in `layerdb/` so the next unpack is a lookup. The bytes
 * come from the stored blob (`unpackBlob`) or straight from a download
 * (`LayerUnpack`, fed as the blob arrives; committed only after the caller
 * verified the blob's digest). Needs root (owners, device nodes, trusted xattrs).
 * @module
 */

import { ImageError } from "../errors.ts";
import { exists, readJsonIfExists, writeJsonAtomic } from "../fsutil.ts";
import { checkLayerMediaType } from "./decompress.ts";
import { type LayerBytes, LayerStream, type UnpackKernel } from "./unpack.ts";
import type { StoreLayout } from "./store_layout.ts";
import type { UnpackPool } from "./unpack_pool.ts";

/** `layerdb/<blobhex>.json`. */
export interface LayerDbEntry {
  diffId: string;
  /** Uncompressed tar size. */
  tarSize: number;
}

/** Result of an unpack. */
export interface UnpackedLayer {
  diffId: string;
  dir: string;
  /** True when this call created the layer dir. */
  created: boolean;
}

/** Read size for stored blobs (fresh buffers: the decompressor may hold a chunk). */
const READ_CHUNK = 1 << 20;

/**
 * The layer of `blobDigest` when it is already unpacked (`protect` is
 * called with its diff id first), else undefined.
 */
export function unpackedLayer(
  layout: StoreLayout,
  blobDigest: string,
  protect: (diffId: string) => void,
): UnpackedLayer | undefined {
  const known = readJsonIfExists<LayerDbEntry>(layout.layerDb(blobDigest));
  if (!known) return undefined;
  protect(known.diffId);
  const dir = layout.layer(known.diffId);
  return isDir(dir) ? { diffId: known.diffId, dir, created: false } : undefined;
}

/**
 * Unpack the stored blob `blobDigest` (idempotent). `protect` is called with
 * the diff id before the dir becomes visible (the caller leases it).
 * @throws {ImageError} unsupported media type, missing blob, unsafe or corrupt tar.
 */
export async function unpackBlob(
  layout: StoreLayout,
  kernel: UnpackKernel,
  blobDigest: string,
  mediaType: string,
  protect: (diffId: string) => void,
): Promise<UnpackedLayer> {
  checkLayerMediaType(mediaType, blobDigest);
  const known = unpackedLayer(layout, blobDigest, protect);
  if (known) return known;
  const blob = layout.blob(blobDigest);
  if (!exists(blob)) throw new ImageError(`layer blob ${blobDigest} is not in the store`);
  const u = LayerUnpack.begin(layout, kernel, blobDigest, mediaType);
  try {
    using file = Deno.openSync(blob);
    for (;;) {
      const buf = new Uint8Array(READ_CHUNK);
      const n = file.readSync(buf);
      if (n === null) break;
      const more = u.write(buf.subarray(0, n));
      if (more) await more;
    }
    return await u.commit(protect);
  } catch (err) {
    await u.discard();
    throw err;
  }
}

/**
 * One layer blob being extracted into a temp dir of the store as its bytes
 * arrive, on this thread or on a worker of an `UnpackPool`.
 */
export class LayerUnpack {
  #stream: LayerBytes;
  #done = false;

  private constructor(
    private readonly layout: StoreLayout,
    private readonly blobDigest: string,
    private readonly tmp: string,
    kernel: UnpackKernel,
    pool?: UnpackPool,
  ) {
    const what = `layer ${blobDigest}`; // in full: the user can find the blob it names
    this.#stream = pool ? pool.open(tmp, what) : new LayerStream(tmp, kernel, what);
  }

  /**
   * Start: a fresh temp dir under `layers/`; extraction runs on `pool` when given.
   * @throws {ImageError} unsupported media type.
   */
  static begin(
    layout: StoreLayout,
    kernel: UnpackKernel,
    blobDigest: string,
    mediaType: string,
    pool?: UnpackPool,
  ): LayerUnpack {
    checkLayerMediaType(mediaType, blobDigest);
    Deno.mkdirSync(layout.layerDir, { recursive: true });
    const tmp = layout.temp(layout.layerDir);
    Deno.mkdirSync(tmp, { mode: 0o755 });
    try {
      Deno.chmodSync(tmp, 0o755); // mkdir honours the umask
      return new LayerUnpack(layout, blobDigest, tmp, kernel, pool);
    } catch (err) {
      Deno.removeSync(tmp, { recursive: true });
      throw err;
    }
  }

  /** Feed the blob's next bytes (a returned promise: wait before writing more). */
  write(chunk: Uint8Array): Promise<void> | undefined {
    return this.#stream.write(chunk);
  }

  /**
   * All bytes were fed (and the caller verified the blob): finish, move the
   * dir into place, record blob → diff id.
   * @throws {ImageError} corrupt data or an unsafe entry (the temp dir is removed).
   */
  async commit(protect: (diffId: string) => void): Promise<UnpackedLayer> {
    try {
      const { diffId, tarSize } = await this.#stream.end();
      await this.#stream.close();
      protect(diffId);
      const dir = this.layout.layer(diffId);
      const created = renameDirIfAbsent(this.tmp, dir);
      if (!created) Deno.removeSync(this.tmp, { recursive: true });
      this.#done = true;
      writeJsonAtomic(
        this.layout.layerDb(this.blobDigest),
        { diffId, tarSize } satisfies LayerDbEntry,
      );
      return { diffId, dir, created };
    } catch (err) {
      await this.discard();
      throw err;
    }
  }

  /** Give up: stop the extraction, then remove the temp dir (idempotent). */
  async discard(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#stream.close();
    if (exists(this.tmp)) Deno.removeSync(this.tmp, { recursive: true });
  }
}

/** True for a real directory (not a symlink to one). */
export function isDir(path: string): boolean {
  try {
    return Deno.lstatSync(path).isDirectory;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Rename a finished temp dir into place; false when another process got there first. */
function renameDirIfAbsent(tmp: string, dir: string): boolean {
  if (isDir(dir)) return false;
  try {
    Deno.renameSync(tmp, dir);
    return true;
  } catch (err) {
    // rename(2) onto an existing non-empty dir fails: a concurrent unpack of the same layer won
    if (isDir(dir)) return false;
    throw err;
  }
}
