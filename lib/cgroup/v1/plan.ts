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

/** The v1 controllers tsbox uses. */
export type V1Controller = "memory" | "cpu" | "cpuacct" | "cpuset" | "pids" | "freezer";

/** Host facts the v1 plan depends on. */
export interface V1PlanContext {
  /** The container's cgroup directory in each hierarchy present. */
  dirs: Partial<Record<V1Controller, string>>;
  /** memory.memsw.* exists (kernel swap accounting on). */
  swapAccounting: boolean;
  /** The parent's cpuset.cpus / cpuset.mems, inherited when not set. */
  parentCpuset: { cpus: string; mems: string };
}

/**
 * Writes for `limits`. cpuset is always populated when the hierarchy
 * exists (a v1 cpuset with empty cpus/mems refuses tasks).
 */
export function planV1(limits: ResourceLimits, ctx: V1PlanContext): CgroupWrite[] {
  const { dirs } = ctx;
  return [
    ...(dirs.cpuset ? planCpuset(limits, dirs.cpuset, ctx.parentCpuset) : []),
    ...(dirs.memory ? planMemory(limits, dirs.memory, ctx.swapAccounting) : []),
    ...(dirs.cpu ? planCpu(limits, dirs.cpu) : []),
    ...(dirs.pids ? planPids(limits, dirs.pids) : []),
  ];
}
