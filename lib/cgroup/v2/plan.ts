/**
 * cgroup v2 plan: which controllers to enable in the parent's
 * cgroup.subtree_control, and limits → control-file writes in the
 * container's directory. Pure.
 * @module
 */

import { join } from "node:path";
import type { CgroupWrite, ResourceLimits } from "../types.ts";
import { planMemoryV2 } from "./memory.ts";
import { planCpuV2 } from "./cpu.ts";
import { planCpusetV2 } from "./cpuset.ts";
import { planPids } from "../pids.ts";
import { needs } from "../needs.ts";

/** Controllers tsbox enables for its cgroups, in the kernel's listing order. */
export const V2_CONTROLLERS = ["cpuset", "cpu", "memory", "pids"] as const;

/** A v2 controller tsbox uses. */
export type V2Controller = typeof V2_CONTROLLERS[number];

/** One controller to switch on in the parent, and whether the limits need it. */
export interface EnableStep {
  controller: V2Controller;
  /** The write (`+cpu` into the parent's cgroup.subtree_control). */
  write: CgroupWrite;
  /** False for controllers only wanted for stats: a failure is tolerated. */
  required: boolean;
}

/**
 * Controllers to enable in `parent` — the ones tsbox uses that the parent
 * offers (`available`, its cgroup.controllers) and has not enabled yet
 * (`enabled`, its cgroup.subtree_control). One write each, so a refusal
 * names the controller.
 */
export function planSubtree(
  parent: string,
  available: string[],
  enabled: string[],
  limits: ResourceLimits,
): EnableStep[] {
  return V2_CONTROLLERS.filter((c) => available.includes(c) && !enabled.includes(c)).map((c) => ({
    controller: c,
    write: { path: join(parent, "cgroup.subtree_control"), value: `+${c}` },
    required: needs(limits, c),
  }));
}

/** Writes for `limits` in `dir`; `swap`: memory.swap.max exists (swap accounting). */
export function planV2(limits: ResourceLimits, dir: string, ctx: { swap: boolean }): CgroupWrite[] {
  return [
    ...planCpusetV2(limits, dir),
    ...planMemoryV2(limits, dir, ctx.swap),
    ...planCpuV2(limits, dir),
    ...planPids(limits, dir),
  ];
}
