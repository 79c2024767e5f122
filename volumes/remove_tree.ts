/**
 * Deleting volume directories without ever deleting through a mount: the
 * tree is refused when /proc/self/mountinfo shows a mount at or below it,
 * and the walk refuses to enter a directory on another device. Unlike
 * lib/safe_remove.ts it never unmounts anything: a mount under a volume
 * was put there by someone else, so tsbox stops and says so.
 * @module
 */

import { mountsUnder } from "../lib/safe_remove.ts";
import { VolumeError } from "../lib/errors.ts";

/**
 * Remove `path` and everything below it. Missing is fine.
 * Requires write access to the tree (root for volumes).
 * @throws {VolumeError} a mount is at or below `path`, or a directory below
 *   it is on another filesystem (nothing past that point is deleted).
 */
export function removeTreeNoMounts(path: string, mountinfo?: string): void {
  const mounted = mountsUnder(path, mountinfo ?? Deno.readTextFileSync("/proc/self/mountinfo"));
  if (mounted.length) {
    throw new VolumeError(
      `refusing to remove ${path}: ${mounted[mounted.length - 1]} is a mount point`,
      {
        hint: "unmount it first",
      },
    );
  }
  let st: Deno.FileInfo;
  try {
    st = Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return; // already gone: removal is idempotent
    throw err;
  }
  walk(path, st);
}

function walk(path: string, st: Deno.FileInfo, dev = st.dev): void {
  if (st.isDirectory) {
    if (st.dev !== dev) {
      throw new VolumeError(`refusing to remove ${path}: it is on another filesystem`);
    }
    for (const e of Deno.readDirSync(path)) {
      const child = `${path}/${e.name}`;
      walk(child, Deno.lstatSync(child), dev);
    }
  }
  Deno.removeSync(path);
}
