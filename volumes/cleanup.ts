/**
 * Removing volumes: a container's anonymous volumes (`run --rm`, `rm -v`),
 * one volume by name (`volume rm`) and unused ones (`volume prune`). Every
 * removal re-checks usage under the store lock, never removes a named
 * volume implicitly, and deletes without crossing mounts.
 * @module
 */

import type { Paths } from "../lib/paths.ts";
import { VolumeError } from "../lib/errors.ts";
import {
  deleteVolumeLocked,
  isBrokenVolume,
  readVolume,
  sweepLeftoversLocked,
  withVolumesLock,
} from "./store.ts";
import { listVolumes } from "./store.ts";
import { treeSize } from "./size.ts";
import { volumeUsers } from "./usage.ts";
import { isPreparedMount, type VolumeInfo } from "./types.ts";
import { logEvent, volumeEvent } from "../lib/container/events.ts";

/**
 * Remove the anonymous volumes among a container's mounts, unless another
 * container uses them too. Named volumes are never touched (checked both in
 * the mount record and in the volume's own metadata). Call when the
 * container is removed; pass its id as `containerId` so its own (still
 * present) container.json does not count as a user. Requires root.
 * @returns the names removed.
 * @throws {VolumeError} after trying all, when some could not be removed.
 */
export function removeAnonymousVolumes(
  paths: Paths,
  mounts: unknown[],
  containerId?: string,
): string[] {
  const names = new Set<string>();
  for (const m of mounts) if (isPreparedMount(m) && m.volume?.anonymous) names.add(m.volume.name);
  if (names.size === 0) return [];
  return withVolumesLock(paths, () => {
    const users = volumeUsers(paths, containerId);
    const removed: string[] = [];
    const failed: string[] = [];
    for (const name of names) {
      if (isBrokenVolume(paths, name)) {
        // its metadata is unreadable: left for an explicit `volume rm`, never guessed at
        console.error(`tsbox: warning: keeping volume ${name}: its metadata is corrupt`);
        continue;
      }
      const info = readVolume(paths, name);
      if (!info || !info.meta.Anonymous || users.has(name)) continue;
      try {
        deleteVolumeLocked(paths, name);
        removed.push(name);
      } catch (err) {
        // keep going: one stuck volume must not keep the others around
        failed.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (failed.length) {
      throw new VolumeError(`could not remove anonymous volumes: ${failed.join("; ")}`);
    }
    return removed;
  });
}

/**
 * `volume rm NAME`: remove one volume unless a container (running or not)
 * uses it — even with `force`, which only makes a missing volume fine.
 * Requires root.
 * @returns false when it did not exist (and `force`).
 * @throws {VolumeError} no such volume, or in use.
 */
export function removeVolume(paths: Paths, name: string, force = false): boolean {
  return withVolumesLock(paths, () => {
    // a volume whose metadata is corrupt is still removed by its name
    if (!isBrokenVolume(paths, name) && !readVolume(paths, name)) {
      if (force) return false;
      throw new VolumeError(`No such volume: ${name}`);
    }
    const users = volumeUsers(paths).get(name);
    if (users?.length) {
      throw new VolumeError(`remove ${name}: volume is in use - [${users.join(", ")}]`);
    }
    deleteVolumeLocked(paths, name);
    return true;
  });
}

/**
 * `volume prune`: remove unused anonymous volumes (all unused ones with
 * `all`), of those `select` accepts when given (`--filter`). Also clears
 * leftovers of interrupted creates/removals. Requires root.
 * @returns removed names and the bytes their data took.
 */
export function pruneVolumes(
  paths: Paths,
  all: boolean,
  select?: (v: VolumeInfo) => boolean,
): { removed: string[]; reclaimed: number } {
  return withVolumesLock(paths, () => {
    sweepLeftoversLocked(paths);
    const users = volumeUsers(paths);
    const removed: string[] = [];
    let reclaimed = 0;
    for (const v of listVolumes(paths)) {
      if (users.has(v.meta.Name) || (!all && !v.meta.Anonymous)) continue;
      if (select && !select(v)) continue; // prune --filter: what it does not select is kept
      const size = treeSize(v.mountpoint);
      deleteVolumeLocked(paths, v.meta.Name);
      removed.push(v.meta.Name);
      reclaimed += size;
    }
    // docker's: one prune event with no actor after the destroys
    logEvent(paths, volumeEvent("prune", "", { reclaimed: String(reclaimed) }));
    return { removed, reclaimed };
  });
}

/**
 * Remove what interrupted volume creates/removals left (`.new-*`,
 * `.trash-*`), under the store lock; for `system prune` without
 * `--volumes`, which removes no volume. Requires root.
 */
export function sweepVolumeLeftovers(paths: Paths): void {
  withVolumesLock(paths, () => sweepLeftoversLocked(paths));
}
