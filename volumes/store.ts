/**
 * The volume store: `<paths.volumes>/<name>/` holds `_data` (the
 * mountpoint, volume content) and `volume.json` (metadata). A volume
 * appears atomically (built under a dot-name, then renamed into place) and
 * disappears atomically (renamed to a dot-name, then deleted without
 * crossing mounts), so a crash never leaves a half volume under a real
 * name. Every change happens under one flock (`<locks>/volumes.lock`).
 * Sync on purpose: callers may be in the middle of container setup.
 * @module
 */

import { join } from "../lib/posix_path.ts";
import type { Paths } from "../lib/paths.ts";
import { VolumeError } from "../lib/errors.ts";
import { readJsonIfExists, withLockSync, writeJsonAtomic } from "../lib/fsutil.ts";
import { isValidVolumeName, randomVolumeName } from "./names.ts";
import { removeTreeNoMounts } from "./remove_tree.ts";
import { mountsUnder } from "../lib/safe_remove.ts";
import type { VolumeInfo, VolumeMeta } from "./types.ts";
import { logEvent, volumeEvent } from "../lib/container/events.ts";

/** Metadata file name inside a volume dir. */
export const META_FILE = "volume.json";
/** docker's label on anonymous volumes (docker ≥ 23). */
export const ANONYMOUS_LABEL = "com.docker.volume.anonymous";

/** `<paths.volumes>/<name>`. */
export function volumeDir(paths: Paths, name: string): string {
  return join(paths.volumes, name);
}

/** Run `fn` holding the volume store lock (exclusive flock; released if the process dies). */
export function withVolumesLock<T>(paths: Paths, fn: () => T): T {
  return withLockSync(join(paths.locks, "volumes.lock"), fn);
}

function infoOf(dir: string, meta: VolumeMeta): VolumeInfo {
  return { meta, dir, mountpoint: join(dir, "_data") };
}

/**
 * Read one volume; undefined when it does not exist.
 * @throws {VolumeError} the dir exists but its metadata is missing or unreadable.
 */
export function readVolume(paths: Paths, name: string): VolumeInfo | undefined {
  if (!isValidVolumeName(name)) return undefined;
  const dir = volumeDir(paths, name);
  const meta = readMeta(dir);
  if (typeof meta === "string") {
    throw new VolumeError(`volume ${name}: corrupt ${join(dir, META_FILE)}: ${meta}`, {
      path: dir,
      hint: `remove it: tsbox volume rm ${name}`,
    });
  }
  if (meta) return infoOf(dir, meta);
  try {
    Deno.lstatSync(dir);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  throw new VolumeError(`volume ${name}: ${dir} exists but has no ${META_FILE}`, {
    hint: "it was not created by tsbox; move it away to reuse the name",
  });
}

/** The metadata in `dir`; undefined when missing; a string saying why when unreadable. */
function readMeta(dir: string): VolumeMeta | undefined | string {
  let meta: VolumeMeta | undefined;
  try {
    meta = readJsonIfExists<VolumeMeta>(join(dir, META_FILE));
  } catch (err) {
    if (err instanceof SyntaxError) return err.message;
    throw err;
  }
  if (meta === undefined) return undefined;
  if (!meta || typeof meta !== "object" || typeof meta.Name !== "string" || !meta.Labels) {
    return "not volume metadata";
  }
  return meta;
}

// Broken volumes already warned about by this process (one warning each).
const warned = new Set<string>();

/**
 * All volumes in the store, sorted by name (leftover dot-dirs are skipped).
 * A volume whose metadata is unreadable is skipped with a one-line warning
 * naming it and the way to remove it (`volume rm NAME`).
 */
export function listVolumes(paths: Paths): VolumeInfo[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(paths.volumes)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return []; // no volume was ever created
    throw err;
  }
  const out: VolumeInfo[] = [];
  for (const e of entries) {
    if (!e.isDirectory || !isValidVolumeName(e.name)) continue;
    const dir = join(paths.volumes, e.name);
    const meta = readMeta(dir);
    if (typeof meta === "string") {
      if (!warned.has(dir)) {
        warned.add(dir);
        console.error(
          `tsbox: warning: skipping volume ${e.name}: corrupt ${
            join(dir, META_FILE)
          }: ${meta} (remove it: tsbox volume rm ${e.name})`,
        );
      }
      continue;
    }
    if (meta) out.push(infoOf(dir, meta));
  }
  return out.sort((a, b) => a.meta.Name.localeCompare(b.meta.Name));
}

/** True when volume `name` exists but its metadata cannot be read. */
export function isBrokenVolume(paths: Paths, name: string): boolean {
  return isValidVolumeName(name) && typeof readMeta(volumeDir(paths, name)) === "string";
}

/** What to create. */
export interface NewVolume {
  /** Omitted: a random 64-hex name. */
  name?: string;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  anonymous?: boolean;
}

/** docker prints CreatedAt as RFC 3339 with seconds. */
function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Create a volume, or return the existing one of that name (docker's
 * `volume create` is idempotent); only a new one logs docker's volume
 * `create` event. The caller must hold `withVolumesLock`.
 * Requires write access to the state root.
 * @throws {VolumeError} invalid name or a foreign dir in the way.
 */
export function createVolumeLocked(
  paths: Paths,
  req: NewVolume,
): { info: VolumeInfo; created: boolean } {
  const name = req.name ?? randomVolumeName();
  if (!isValidVolumeName(name)) throw new VolumeError(`invalid volume name "${name}"`);
  const existing = readVolume(paths, name);
  if (existing) return { info: existing, created: false };
  const meta: VolumeMeta = {
    Name: name,
    CreatedAt: now(),
    Labels: { ...req.labels },
    Options: { ...req.options },
    Anonymous: req.anonymous ?? false,
  };
  Deno.mkdirSync(paths.volumes, { recursive: true, mode: 0o701 });
  const staging = join(paths.volumes, `.new-${randomVolumeName().slice(0, 16)}`);
  Deno.mkdirSync(staging, { mode: 0o755 });
  try {
    Deno.mkdirSync(join(staging, "_data"));
    Deno.chmodSync(join(staging, "_data"), 0o755); // mkdir honours the umask
    writeJsonAtomic(join(staging, META_FILE), meta);
    Deno.renameSync(staging, volumeDir(paths, name));
  } catch (err) {
    removeTreeNoMounts(staging); // our own fresh dir: nothing else can be in it
    throw err;
  }
  logEvent(paths, volumeEvent("create", name));
  return { info: infoOf(volumeDir(paths, name), meta), created: true };
}

/** `createVolumeLocked` under the store lock. */
export function createVolume(paths: Paths, req: NewVolume): { info: VolumeInfo; created: boolean } {
  return withVolumesLock(paths, () => createVolumeLocked(paths, req));
}

/**
 * Delete a volume's dir (metadata and data) and log docker's volume
 * `destroy` event. No usage checks: callers (cleanup.ts) decide; the
 * caller must hold `withVolumesLock`.
 * @throws {VolumeError} a mount is inside it (nothing is deleted then).
 */
export function deleteVolumeLocked(paths: Paths, name: string): void {
  const dir = volumeDir(paths, name);
  // refuse before the rename, so a volume with a mount inside keeps its name
  const mounted = mountsUnder(dir);
  if (mounted.length) {
    throw new VolumeError(
      `refusing to remove volume ${name}: ${mounted[mounted.length - 1]} is a mount point`,
      {
        hint: "unmount it first",
      },
    );
  }
  const trash = join(paths.volumes, `.trash-${randomVolumeName().slice(0, 16)}`);
  try {
    Deno.renameSync(dir, trash);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return; // already gone
    throw err;
  }
  removeTreeNoMounts(trash);
  logEvent(paths, volumeEvent("destroy", name));
}

/**
 * Remove `.new-*` / `.trash-*` dirs a crash left behind. Caller holds the
 * lock, so none of them belongs to a create/delete in progress.
 */
export function sweepLeftoversLocked(paths: Paths): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(paths.volumes)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  for (const e of entries) {
    if (/^\.(new|trash)-[0-9a-f]{16}$/.test(e.name)) {
      removeTreeNoMounts(join(paths.volumes, e.name));
    }
  }
}
