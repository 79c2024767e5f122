/**
 * Garbage collection of the image store: blobs and unpacked layers that no
 * image record references and no live lease holds are removed, as are
 * leftovers of dead processes (temp files/dirs, stale leases). Call with
 * the store lock held. Content is listed *before* leases are read (see
 * lease.ts for why that order is safe).
 * @module
 */

import { join } from "node:path";
import { leasedDigests } from "./lease.ts";
import { ownerAlive, ownerInName, type StoreLayout, TMP_PREFIX } from "./store_layout.ts";
import type { ImageRecord } from "./types.ts";
import { readJsonIfExists, removeIfExists } from "../fsutil.ts";

/** What GC removed. */
export interface GcResult {
  blobs: string[];
  layers: string[];
  /** Bytes freed (blob sizes + uncompressed tar sizes of layers). */
  reclaimed: number;
}

/** Options: restrict removal to some digests (for undoing a failed load). */
export interface GcOptions {
  only?: Set<string>;
}

/** Image records on disk (unreadable half-written ones cannot exist: records are written atomically). */
export function readRecords(layout: StoreLayout): ImageRecord[] {
  const out: ImageRecord[] = [];
  for (const name of listNames(layout.imageDir)) {
    if (!name.endsWith(".json") || name.startsWith(".")) continue;
    const r = readJsonIfExists<ImageRecord>(join(layout.imageDir, name));
    if (r) out.push(r);
  }
  return out;
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
  return result;
}

/**
 * Hidden entries are never content. Temp entries of dead processes and
 * gc trash are removed; others (a live process's, fsutil's atomic-write
 * temps) are left alone. True when `name` is such an entry.
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
