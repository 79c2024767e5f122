/**
 * pids controller (same files on v1 and v2): limit write and counters.
 * @module
 */

import { join } from "../posix_path.ts";
import type { CgroupFs } from "./fs.ts";
import { readOptional } from "./apply.ts";
import type { CgroupWrite, ResourceLimits } from "./types.ts";

/** pids.max: a number or `max` for unlimited. */
export function planPids(l: ResourceLimits, dir: string): CgroupWrite[] {
  if (l.pidsLimit === undefined) return [];
  return [{ path: join(dir, "pids.max"), value: l.pidsLimit < 0 ? "max" : String(l.pidsLimit) }];
}

/**
 * Task count and limit. Without a pids controller the count falls back to
 * the lines of cgroup.procs in `fallbackDir` (processes, not threads).
 */
export function readPids(
  fs: CgroupFs,
  dir: string | undefined,
  fallbackDir: string,
): { current: number; limit: number | undefined } {
  const cur = dir ? readOptional(fs, join(dir, "pids.current")) : undefined;
  const max = dir ? readOptional(fs, join(dir, "pids.max")) : undefined;
  const current = cur !== undefined
    ? Number(cur)
    : (readOptional(fs, join(fallbackDir, "cgroup.procs")) ?? "").split("\n").filter(Boolean)
      .length;
  return { current, limit: max === undefined || max === "max" ? undefined : Number(max) };
}
