/**
 * cgroup v1 cpu and cpuacct controllers: CFS shares/quota writes and the
 * usage reader (cpuacct may be its own hierarchy or co-mounted with cpu).
 * @module
 */

import { join } from "../../posix_path.ts";
import type { CgroupFs } from "../fs.ts";
import { readOptional } from "../apply.ts";
import type { CgroupWrite, ResourceLimits } from "../types.ts";

/** Writes for the cpu hierarchy: shares, then period before quota (as runc). */
export function planCpu(l: ResourceLimits, dir: string): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  if (l.cpuShares !== undefined) {
    w.push({ path: join(dir, "cpu.shares"), value: String(l.cpuShares) });
  }
  if (l.cpuPeriod !== undefined) {
    w.push({ path: join(dir, "cpu.cfs_period_us"), value: String(l.cpuPeriod) });
  }
  if (l.cpuQuota !== undefined) {
    w.push({ path: join(dir, "cpu.cfs_quota_us"), value: String(l.cpuQuota) });
  }
  return w;
}

/** Total CPU time in ns from cpuacct.usage (0 when the hierarchy is absent). */
export function readCpuUsageNs(fs: CgroupFs, cpuacctDir: string | undefined): number {
  if (!cpuacctDir) return 0;
  return Number(readOptional(fs, join(cpuacctDir, "cpuacct.usage")) ?? 0);
}
