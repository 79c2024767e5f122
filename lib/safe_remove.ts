/**
 * Remove a directory tree without ever deleting through a mount: mounts
 * below it (per /proc/self/mountinfo) are lazily unmounted first and the
 * walk refuses to cross onto another device.
 * @module
 */

import type { Kernel } from "./kernel.ts";
import { MNT_DETACH } from "../ffi/consts.ts";
import { TsboxError } from "./errors.ts";

/** Mount points at or below `path` (deepest first), from /proc/self/mountinfo. */
export function mountsUnder(
  path: string,
  mountinfo = Deno.readTextFileSync("/proc/self/mountinfo"),
): string[] {
  const unescape = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return mountinfo.split("\n").filter(Boolean).map((l) => unescape(l.split(" ")[4]))
    .filter((m) => m === path || m.startsWith(path + "/"))
    .sort((a, b) => b.length - a.length);
}

/**
 * Unmount everything under `path`, then delete it. Missing is fine.
 * @throws {TsboxError} a mount could not be removed (nothing is deleted then).
 */
export function safeRemoveTree(kernel: Kernel, path: string): void {
  for (const m of mountsUnder(path)) kernel.umount2(m, MNT_DETACH);
  const left = mountsUnder(path);
  if (left.length) {
    throw new TsboxError(`refusing to remove ${path}: still mounted: ${left.join(", ")}`);
  }
  let root: Deno.FileInfo;
  try {
    root = Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  removeWalk(path, root.dev);
}

function removeWalk(path: string, dev: number): void {
  const st = Deno.lstatSync(path);
  if (st.isDirectory) {
    if (st.dev !== dev) {
      throw new TsboxError(`refusing to remove ${path}: it is on another filesystem (a mount?)`);
    }
    for (const e of Deno.readDirSync(path)) removeWalk(`${path}/${e.name}`, dev);
  }
  Deno.removeSync(path);
}
