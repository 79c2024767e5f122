/**
 * The parent cgroups of a nested placement (`/docker/<id>` needs
 * `/docker`): which directories lie between a hierarchy root and the
 * container's own directory, and making the missing ones. The parents
 * belong to the caller (dockerd, podman): tsbox makes them when absent
 * but never removes them, except to undo a create that failed.
 * @module
 */

import { join } from "../posix_path.ts";
import type { CgroupFs } from "./fs.ts";
import { cgroupError } from "./apply.ts";

/** Ancestors of the container's directory below `root`, outermost first (pure). */
export function parentDirs(root: string, parts: string[]): string[] {
  return parts.slice(0, -1).map((_, i) => join(root, ...parts.slice(0, i + 1)));
}

/**
 * mkdir each of `dirs` that is missing, outermost first, appending those
 * this call made to `made` (for undo, also when it throws). Another
 * runtime making the same parent at the same moment is fine.
 * @throws {CgroupError} mkdir failed otherwise.
 */
export function makeParents(fs: CgroupFs, dirs: string[], made: string[]): void {
  for (const d of dirs) {
    if (fs.exists(d)) continue;
    try {
      fs.mkdir(d);
      made.push(d);
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) continue; // made concurrently by another create
      throw cgroupError("mkdir", d, err);
    }
  }
}
