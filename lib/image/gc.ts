/**
 * Garbage collection of the image store: blobs and unpacked layers that no
 * image record references and no live lease holds are removed, as are
 * leftovers of dead processes (temp files/dirs, stale leases). Call with
 * the store lock held. Content is listed *before* leases are read (see
 * lease.ts for why that order is safe).
 * @module
 */

import { join } from "../posix_path.ts";
import { leasedDigests } from "./lease.ts";
import { ownerAlive, ownerInName, type StoreLayout, TMP_PREFIX } from "./store_layout.ts";
import type { ImageRecord } from "./types.ts";
import { readJsonIfExists, removeIfExists } from "../fsutil.ts";
import { ImageError } from "../errors.ts";

/** What GC removed. */
export interface GcResult {
  blobs: string[];
  layers: string[];
  /** Bytes freed (blob sizes + uncompressed tar sizes of layers). */
  reclaimed: number;
}

/** Options: restrict removal to some digests (for undoing a failed load); keep others. */
export interface GcOptions {
  only?: Set<string>;
  /** Digests (blob digests, diff ids) to keep even if no readable record holds them. */
  keep?: Set<string>;
}

/** An image record file that cannot be read (truncated, garbage). */
export interface BrokenImageRecord {
  /** `sha256:…` from the file name. */
  id: string;
  file: string;
  reason: string;
}

/**
 * Read one image record file; undefined when missing.
 * @throws {ImageError} it is unreadable: names the file and how to clean it.
 */
export function readRecordFile(file: string): ImageRecord | undefined {
  let r: ImageRecord | undefined;
  try {
    r = readJsonIfExists<ImageRecord>(file);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw corruptRecord(file, err.message);
  }
  if (r !== undefined && (!r || typeof r.id !== "string" || !Array.isArray(r.layers))) {
    throw corruptRecord(file, "not an image record");
  }
  return r;
}

function corruptRecord(file: string, reason: string): ImageError {
  return new ImageError(`corrupt image record ${file}: ${reason}`, {
    path: file,
    hint: "tsbox image prune removes it; then pull or load the image again",
  });
}

/** Image records on disk, and the ones that cannot be read. */
export function scanRecords(
  layout: StoreLayout,
): { records: ImageRecord[]; broken: BrokenImageRecord[] } {
  const out = { records: [] as ImageRecord[], broken: [] as BrokenImageRecord[] };
  for (const name of listNames(layout.imageDir)) {
    if (!name.endsWith(".json") || name.startsWith(".")) continue;
    const file = join(layout.imageDir, name);
    try {
      const r = readRecordFile(file);
      if (r) out.records.push(r);
    } catch (err) {
      if (!(err instanceof ImageError)) throw err;
      const reason = err.message.slice(err.message.indexOf(": ") + 2);
      out.broken.push({ id: `sha256:${name.replace(/\.json$/, "")}`, file, reason });
    }
  }
  return out;
}

// Broken records already warned about by this process (one warning each).
const warned = new Set<string>();

/** Readable image records; an unreadable one is skipped with a one-line warning naming it. */
export function readRecords(layout: StoreLayout): ImageRecord[] {
  const { records, broken } = scanRecords(layout);
  for (const b of broken) {
    if (warned.has(b.file)) continue;
    warned.add(b.file);
    console.error(
      `tsbox: warning: skipping image ${
        b.id.slice(7, 19)
      }: corrupt record ${b.file}: ${b.reason} (tsbox image prune removes it)`,
    );
  }
  return records;
}

/**
 * Results of `build` steps (`build-cache/*.json`: an image id and its
 * layers); GC keeps their content so a rebuild finds it.
 */
function readBuildCache(layout: StoreLayout): Pick<ImageRecord, "id" | "layers">[] {
  const out: Pick<ImageRecord, "id" | "layers">[] = [];
  for (const name of listNames(layout.buildCacheDir)) {
    if (!name.endsWith(".json") || name.startsWith(".")) continue;
    const r = readJsonIfExists<Pick<ImageRecord, "id" | "layers">>(
      join(layout.buildCacheDir, name),
    );
    if (r && typeof r.id === "string" && Array.isArray(r.layers)) out.push(r);
  }
  return out;
}

/** Collect garbage. Caller holds the store lock. */
export function collectGarbage(layout: StoreLayout, opts: GcOptions = {}): GcResult {
  const blobNames = listNames(layout.blobDir);
  const layerNames = listNames(layout.layerDir);
  const dbNames = listNames(layout.layerDbDir);
  const keep = leasedDigests(layout);
  for (const d of opts.keep ?? []) keep.add(d);
  for (const r of [...readRecords(layout), ...readBuildCache(layout)]) {
    keep.add(r.id);
    for (const l of r.layers) {
      keep.add(l.digest);
      keep.add(l.diffId);
    }
  }
  const may = (d: string) => !keep.has(d) && (!opts.only || opts.only.has(d));
  const result: GcResult = { blobs: [], layers: [], reclaimed: 0 };
  const tarSizes = new Map<string, number>();
  for (const name of dbNames) {
    const e = readJsonIfExists<{ diffId: string; tarSize: number }>(join(layout.layerDbDir, name));
    if (e) tarSizes.set(e.diffId, e.tarSize);
  }

  for (const name of blobNames) {
    const path = join(layout.blobDir, name);
    if (removeIfDead(path, name)) continue;
    const d = `sha256:${name}`;
    if (!/^[a-f0-9]{64}$/.test(name) || !may(d)) continue;
    result.reclaimed += sizeOf(path);
    removeIfExists(path);
    result.blobs.push(d);
  }
  for (const name of layerNames) {
    const path = join(layout.layerDir, name);
    if (removeIfDead(path, name)) continue;
    const d = `sha256:${name}`;
    if (!/^[a-f0-9]{64}$/.test(name) || !may(d)) continue;
    // rename first so a half-deleted layer is never visible under its real name
    const trash = join(layout.layerDir, `${TMP_PREFIX}gc-${crypto.randomUUID()}`);
    Deno.renameSync(path, trash);
    Deno.removeSync(trash, { recursive: true });
    result.reclaimed += tarSizes.get(d) ?? 0;
    result.layers.push(d);
  }
  // blob → diff id records are only useful while the blob exists
  const blobSet = new Set(blobNames);
  for (const name of dbNames) {
    const hex = name.replace(/\.json$/, "");
    if (removeIfDead(join(layout.layerDbDir, name), name)) continue;
    if (!blobSet.has(hex) || result.blobs.includes(`sha256:${hex}`)) {
      removeIfExists(join(layout.layerDbDir, name));
    }
  }
  // atomic-write temps of image records and tags left by a killed process
  for (const dir of [layout.imageDir, layout.root]) {
    for (const name of listNames(dir)) {
      if (name.startsWith(TMP_PREFIX)) removeIfDead(join(dir, name), name);
    }
  }
  return result;
}

/**
 * Hidden entries are never content. Temp entries of dead processes (their
 * names carry the owner, fsutil's atomic-write temps too) and gc trash are
 * removed; a live process's, or one without an owner, is left alone.
 * True when `name` is such an entry.
 */
function removeIfDead(path: string, name: string): boolean {
  if (!name.startsWith(".")) return false;
  const owner = ownerInName(name);
  const dead = owner ? !ownerAlive(owner) : name.startsWith(`${TMP_PREFIX}gc-`);
  if (dead) Deno.removeSync(path, { recursive: true });
  return true;
}

function listNames(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return []; // nothing stored yet
    throw err;
  }
}

function sizeOf(path: string): number {
  try {
    return Deno.lstatSync(path).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0;
    throw err;
  }
}
