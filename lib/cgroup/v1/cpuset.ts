/**
 * cgroup v1 cpuset controller. A new v1 cpuset starts with empty
 * cpuset.cpus and cpuset.mems and no task can join it until both are set,
 * so unset values are inherited from the parent.
 * @module
 */

import { join } from "../../posix_path.ts";
import type { CgroupWrite, ResourceLimits } from "../types.ts";

/**
 * Writes for the cpuset hierarchy: both files, unset ones from `parent`
 * (see module doc); without `parent` (an update of a live cgroup) only
 * the values given.
 */
export function planCpuset(
  l: ResourceLimits,
  dir: string,
  parent: { cpus: string; mems: string } | undefined,
): CgroupWrite[] {
  const cpus = l.cpusetCpus ?? parent?.cpus;
  const mems = l.cpusetMems ?? parent?.mems;
  return [
    ...(cpus === undefined ? [] : [{ path: join(dir, "cpuset.cpus"), value: cpus }]),
    ...(mems === undefined ? [] : [{ path: join(dir, "cpuset.mems"), value: mems }]),
  ];
}
