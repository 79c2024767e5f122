/**
 * cgroup v2 cpu controller: cpu.max and cpu.weight (converted from v1
 * shares), and the usage reader.
 * @module
 */

import { join } from "../../posix_path.ts";
import type { CgroupFs } from "../fs.ts";
import { parseKeyed, readOptional } from "../apply.ts";
import type { CgroupWrite, ResourceLimits } from "../types.ts";
import { DEFAULT_CPU_PERIOD } from "../parse.ts";

/**
 * v1 cpu.shares [2…262144] → v2 cpu.weight [1…10000] with the quadratic
 * (in log2) fit of runc ≥ 1.3.2 / crun ≥ 1.23, which maps min → min,
 * the default 1024 → 100 and max → max (the old linear formula mapped
 * 1024 → 39). 0 means unset.
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(Math.pow(10, exponent));
}

/** Writes for cpu.weight and cpu.max (`<quota|max> <period>`). */
export function planCpuV2(l: ResourceLimits, dir: string): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  if (l.cpuShares !== undefined) {
    w.push({ path: join(dir, "cpu.weight"), value: String(sharesToWeight(l.cpuShares)) });
  }
  if (l.cpuQuota !== undefined || l.cpuPeriod !== undefined) {
    const quota = l.cpuQuota === undefined || l.cpuQuota < 0 ? "max" : String(l.cpuQuota);
    w.push({ path: join(dir, "cpu.max"), value: `${quota} ${l.cpuPeriod ?? DEFAULT_CPU_PERIOD}` });
  }
  return w;
}

/** Total CPU time in ns (cpu.stat `usage_usec`, present even without the cpu controller). */
export function readCpuUsageNsV2(fs: CgroupFs, dir: string): number {
  return (parseKeyed(readOptional(fs, join(dir, "cpu.stat"))).get("usage_usec") ?? 0) * 1000;
}
