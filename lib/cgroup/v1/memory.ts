/**
 * cgroup v1 memory controller: limits → writes, and usage/OOM readers.
 * @module
 */

import { join } from "../../posix_path.ts";
import type { CgroupFs } from "../fs.ts";
import { parseKeyed, readOptional } from "../apply.ts";
import type { CgroupWrite, ResourceLimits } from "../types.ts";

/** v1 reports "unlimited" as a huge page-aligned number (≈ 2^63). */
const UNLIMITED_ABOVE = 2 ** 60;

/**
 * Writes for the memory hierarchy. The kernel requires memsw ≥ limit at
 * every step, so memory.limit_in_bytes goes first unless the new limit is
 * above the current memsw (`currentMemsw`, known on update), then memsw
 * first. memsw only when the kernel does swap accounting (`swapAccounting`:
 * the file exists) and with a memory limit. -1 means unlimited.
 */
export function planMemory(
  l: ResourceLimits,
  dir: string,
  swapAccounting: boolean,
  currentMemsw?: number,
): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const limit = l.memory !== undefined &&
    { path: join(dir, "memory.limit_in_bytes"), value: String(l.memory) };
  const memsw = l.memorySwap !== undefined && swapAccounting && l.memory !== undefined &&
    { path: join(dir, "memory.memsw.limit_in_bytes"), value: String(l.memorySwap) };
  const raise = currentMemsw !== undefined && currentMemsw >= 0 &&
    (l.memory === -1 || (l.memory ?? 0) > currentMemsw);
  if (memsw && raise) w.push(memsw);
  if (limit) w.push(limit);
  if (memsw && !raise) w.push(memsw);
  if (l.memoryReservation !== undefined) {
    w.push({ path: join(dir, "memory.soft_limit_in_bytes"), value: String(l.memoryReservation) });
  }
  if (l.memorySwappiness !== undefined) {
    w.push({ path: join(dir, "memory.swappiness"), value: String(l.memorySwappiness) });
  }
  if (l.oomKillDisable !== undefined) {
    w.push({ path: join(dir, "memory.oom_control"), value: l.oomKillDisable ? "1" : "0" });
  }
  return w;
}

/** Memory usage (minus inactive file cache, as docker shows it) and limit. */
export function readMemory(
  fs: CgroupFs,
  dir: string,
): { usage: number; limit: number | undefined } {
  const usage = Number(readOptional(fs, join(dir, "memory.usage_in_bytes")) ?? 0);
  const inactive =
    parseKeyed(readOptional(fs, join(dir, "memory.stat"))).get("total_inactive_file") ?? 0;
  const limit = Number(readOptional(fs, join(dir, "memory.limit_in_bytes")) ?? Infinity);
  return {
    usage: inactive < usage ? usage - inactive : usage,
    limit: limit > UNLIMITED_ABOVE ? undefined : limit,
  };
}

/**
 * OOM kills in this cgroup: `oom_kill` of memory.oom_control (Linux ≥ 4.13);
 * older kernels lack it, so a hit limit (memory.failcnt > 0) counts as one.
 */
export function readOomKills(fs: CgroupFs, dir: string): number {
  const ctl = parseKeyed(readOptional(fs, join(dir, "memory.oom_control")));
  const kills = ctl.get("oom_kill");
  if (kills !== undefined) return kills;
  const failcnt = Number(readOptional(fs, join(dir, "memory.failcnt")) ?? 0);
  return failcnt > 0 ? 1 : 0;
}
