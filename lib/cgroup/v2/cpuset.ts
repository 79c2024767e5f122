/**
 * cgroup v2 cpuset controller. Unlike v1, an empty cpuset.cpus/mems on v2
 * means "inherit the parent's effective set", so only what was asked is written.
 * @module
 */

import { join } from "../../posix_path.ts";
import type { CgroupWrite, ResourceLimits } from "../types.ts";

/** Writes for cpuset.cpus / cpuset.mems when set. */
export function planCpusetV2(l: ResourceLimits, dir: string): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  if (l.cpusetCpus !== undefined) w.push({ path: join(dir, "cpuset.cpus"), value: l.cpusetCpus });
  if (l.cpusetMems !== undefined) w.push({ path: join(dir, "cpuset.mems"), value: l.cpusetMems });
  return w;
}
