/**
 * Walking a container's cgroup directory and the sub-cgroups nested in it
 * (a container with its own cgroup namespace may make some): the pids in
 * the whole tree, and the removal order (children first). Reads only.
 * @module
 */

import { join } from "../posix_path.ts";
import type { CgroupFs } from "./fs.ts";
import { cgroupError, readOptional } from "./apply.ts";

/** `dir` and every cgroup below it, parents before children; [] when `dir` is gone. */
export function cgroupTree(fs: CgroupFs, dir: string): string[] {
  let names: string[];
  try {
    names = fs.subdirs(dir);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return []; // destroyed, or never made
    throw cgroupError("list", dir, err);
  }
  return [dir, ...names.sort().flatMap((n) => cgroupTree(fs, join(dir, n)))];
}

/** Removal order for `dirs` and their sub-cgroups: every child before its parent. */
export function removalOrder(fs: CgroupFs, dirs: string[]): string[] {
  return dirs.flatMap((d) => cgroupTree(fs, d).reverse());
}

/**
 * Every pid listed in cgroup.procs anywhere in the trees of `dirs`,
 * ascending and without duplicates (v1 lists a pid once per hierarchy).
 */
export function treePids(fs: CgroupFs, dirs: string[]): number[] {
  const out = new Set<number>();
  for (const d of dirs) {
    for (const c of cgroupTree(fs, d)) {
      for (const line of (readOptional(fs, join(c, "cgroup.procs")) ?? "").split("\n")) {
        if (/^\d+$/.test(line.trim())) out.add(Number(line.trim()));
      }
    }
  }
  return [...out].sort((a, b) => a - b);
}
