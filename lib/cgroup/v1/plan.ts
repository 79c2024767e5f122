/**
 * cgroup v1 plan: limits → the ordered list of control-file writes across
 * the hierarchies. Pure: everything read from the host comes in `ctx`.
 * @module
 */

import type { CgroupWrite, ResourceLimits } from "../types.ts";
import { planMemory } from "./memory.ts";
import { planCpu } from "./cpu.ts";
import { planCpuset } from "./cpuset.ts";
import { planPids } from "../pids.ts";
import { planDevicesV1 } from "./devices.ts";
import { planBlkio } from "./blkio.ts";
import { planHugetlb } from "../hugetlb.ts";

/** The v1 controllers tsbox uses. */
export type V1Controller =
  | "memory"
  | "cpu"
  | "cpuacct"
  | "cpuset"
  | "pids"
  | "devices"
  | "freezer"
  | "blkio"
  | "hugetlb";

/** Host facts the v1 plan depends on. */
export interface V1PlanContext {
  /** The container's cgroup directory in each hierarchy present. */
  dirs: Partial<Record<V1Controller, string>>;
  /** memory.memsw.* exists (kernel swap accounting on). */
  swapAccounting: boolean;
  /**
   * The parent's cpuset.cpus / cpuset.mems, inherited when not set (a new
   * cgroup); undefined for an update, which writes only what is set.
   */
  parentCpuset?: { cpus: string; mems: string };
  /** The current memory.memsw.limit_in_bytes (update): decides the memory write order. */
  currentMemsw?: number;
  /** The blkio weight file this kernel has (`blkio.weight`, `blkio.bfq.weight`), if any. */
  blkioWeightFile?: string;
}

/**
 * Writes for `limits`. cpuset is always populated for a new cgroup when
 * the hierarchy exists (a v1 cpuset with empty cpus/mems refuses tasks).
 * Device rules go last: nothing runs in the cgroup yet, and the "a" reset
 * comes first.
 * @throws {CgroupError} a device rule is malformed.
 */
export function planV1(limits: ResourceLimits, ctx: V1PlanContext): CgroupWrite[] {
  const { dirs } = ctx;
  return [
    ...(dirs.cpuset ? planCpuset(limits, dirs.cpuset, ctx.parentCpuset) : []),
    ...(dirs.memory ? planMemory(limits, dirs.memory, ctx.swapAccounting, ctx.currentMemsw) : []),
    ...(dirs.cpu ? planCpu(limits, dirs.cpu) : []),
    ...(dirs.pids ? planPids(limits, dirs.pids) : []),
    ...(dirs.blkio ? planBlkio(limits, dirs.blkio, ctx.blkioWeightFile) : []),
    ...(dirs.hugetlb ? planHugetlb(limits, dirs.hugetlb, 1) : []),
    ...(dirs.devices ? planDevicesV1(limits.devices, dirs.devices) : []),
  ];
}
