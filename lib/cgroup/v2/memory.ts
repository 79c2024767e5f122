/**
 * cgroup v2 memory controller: limits → writes (swap is separate from
 * memory on v2, unlike v1's memsw), and usage/OOM readers.
 * @module
 */

import { join } from "../../posix_path.ts";
import type { CgroupFs } from "../fs.ts";
import { parseKeyed, readOptional } from "../apply.ts";
import type { CgroupWrite, ResourceLimits } from "../types.ts";

/**
 * Writes for memory.max, memory.swap.max (= docker's memory+swap − memory,
 * `max` for -1; only with a memory limit and when the kernel accounts
 * swap: `swap`) and
 * memory.low (the reservation); -1 is `max`. Swappiness and the OOM
 * killer switch have no v2 file and are ignored, as runc does.
 */
export function planMemoryV2(l: ResourceLimits, dir: string, swap: boolean): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const num = (n: number) => (n < 0 ? "max" : String(n));
  if (l.memory !== undefined) w.push({ path: join(dir, "memory.max"), value: num(l.memory) });
  if (l.memorySwap !== undefined && swap && l.memory !== undefined) {
    const v = l.memorySwap === -1 || l.memory === -1 ? "max" : String(l.memorySwap - l.memory);
    w.push({ path: join(dir, "memory.swap.max"), value: v });
  }
  if (l.memoryReservation !== undefined) {
    w.push({ path: join(dir, "memory.low"), value: num(l.memoryReservation) });
  }
  return w;
}

/** Memory usage (minus inactive file cache, as docker shows it) and limit. */
export function readMemoryV2(
  fs: CgroupFs,
  dir: string,
): { usage: number; limit: number | undefined } {
  const usage = Number(readOptional(fs, join(dir, "memory.current")) ?? 0);
  const inactive = parseKeyed(readOptional(fs, join(dir, "memory.stat"))).get("inactive_file") ?? 0;
  const max = readOptional(fs, join(dir, "memory.max"));
  return {
    usage: inactive < usage ? usage - inactive : usage,
    limit: max === undefined || max === "max" ? undefined : Number(max),
  };
}

/** `oom_kill` of memory.events (0 when the controller is off). */
export function readOomKillsV2(fs: CgroupFs, dir: string): number {
  return parseKeyed(readOptional(fs, join(dir, "memory.events"))).get("oom_kill") ?? 0;
}
