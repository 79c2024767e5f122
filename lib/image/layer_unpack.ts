/**
 * Unpacking a stored layer blob into `layers/<diffid>/`: extract into a
 * temp dir while hashing the uncompressed stream, then rename the finished
 * dir into place (or drop it when another process got there first), and
 * remember blob → diff id in `layerdb/` so the next unpack is a lookup.
 * Needs root (owners, device nodes, trusted xattrs).
 * @module
 */

import { ImageError } from "../errors.ts";
import { exists, readJsonIfExists, writeJsonAtomic } from "../fsutil.ts";
import { DigestCounter, tap } from "./digest.ts";
import { checkLayerMediaType, decompress, readHead, sniffCompression } from "./decompress.ts";
import { readTar } from "./tar_read.ts";
import { extractLayer, type UnpackKernel } from "./unpack.ts";
import type { StoreLayout } from "./store_layout.ts";

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

/**
 * Unpack `blobDigest` (idempotent). `protect` is called with the diff id
 * before the dir becomes visible (the caller leases it).
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
  const known = readJsonIfExists<LayerDbEntry>(layout.layerDb(blobDigest));
  if (known) {
    protect(known.diffId);
    const dir = layout.layer(known.diffId);
    if (isDir(dir)) return { diffId: known.diffId, dir, created: false };
  }
  const blob = layout.blob(blobDigest);
  if (!exists(blob)) throw new ImageError(`layer blob ${blobDigest} is not in the store`);
  const what = `layer ${blobDigest.slice(0, 19)}`;
  Deno.mkdirSync(layout.layerDir, { recursive: true });
  const tmp = layout.temp(layout.layerDir);
  Deno.mkdirSync(tmp, { mode: 0o755 });
  Deno.chmodSync(tmp, 0o755); // mkdir honours the umask
  try {
    const counter = new DigestCounter();
    const file = await Deno.open(blob);
    const raw = decompress(file.readable, sniffCompression(readHead(blob)), what);
    await extractLayer(readTar(tap(raw, counter), what), tmp, kernel, what);
    const diffId = counter.digest();
    protect(diffId);
    const dir = layout.layer(diffId);
    const created = renameDirIfAbsent(tmp, dir);
    if (!created) Deno.removeSync(tmp, { recursive: true });
    writeJsonAtomic(
      layout.layerDb(blobDigest),
      { diffId, tarSize: counter.size } satisfies LayerDbEntry,
    );
    return { diffId, dir, created };
  } catch (err) {
    if (exists(tmp)) Deno.removeSync(tmp, { recursive: true });
    throw err;
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
