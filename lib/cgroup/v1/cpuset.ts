/**
 * cgroup v1 cpuset controller. A new v1 cpuset starts with empty
 * cpuset.cpus and cpuset.mems and no task can join it until both are set,
 * so unset values are inherited from the parent.
 * @module
 */

import { join } from "node:path";
import type { CgroupWrite, ResourceLimits } from "../types.ts";

/** Writes for the cpuset hierarchy; always both files (see module doc). */
export function planCpuset(
  l: ResourceLimits,
  dir: string,
  parent: { cpus: string; mems: string },
): CgroupWrite[] {
  return [
    { path: join(dir, "cpuset.cpus"), value: l.cpusetCpus ?? parent.cpus },
    { path: join(dir, "cpuset.mems"), value: l.cpusetMems ?? parent.mems },
  ];
}
