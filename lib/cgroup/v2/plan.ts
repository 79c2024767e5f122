/**
 * cgroup v2 plan: which controllers to enable in the parent's
 * cgroup.subtree_control, and limits → control-file writes in the
 * container's directory. Pure.
 * @module
 */

import { join } from "../../posix_path.ts";
import type { CgroupWrite, ResourceLimits } from "../types.ts";
import { planMemoryV2 } from "./memory.ts";
import { planCpuV2 } from "./cpu.ts";
import { planCpusetV2 } from "./cpuset.ts";
import { planPids } from "../pids.ts";
import { needs } from "../needs.ts";
import { planIoV2 } from "./io.ts";
import { planHugetlb } from "../hugetlb.ts";
import { planUnified, unifiedControllers } from "./unified.ts";

/** Controllers tsbox enables for every cgroup (limits and stats), in the kernel's listing order. */
export const V2_CONTROLLERS = ["cpuset", "cpu", "memory", "pids"] as const;

/** The kernel's listing order of v2 controllers. */
const KERNEL_ORDER = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"];

/** A v2 controller tsbox uses. */
export type V2Controller = typeof V2_CONTROLLERS[number];

/**
 * Controllers `limits` wants beyond V2_CONTROLLERS: io (a block-IO
 * weight; else only for stats), hugetlb for hugepage limits (both skipped when the host lacks
 * them), and those of `unified` keys (required).
 * @throws {CgroupError} a unified key is malformed.
 */
export function extraControllers(
  limits: ResourceLimits,
): { optional: string[]; required: string[] } {
  // io also for stats' BLOCK I/O (io.stat exists only where the controller is on)
  const optional: string[] = ["io"];
  if (limits.hugepageLimits?.length) optional.push("hugetlb");
  const required = unifiedControllers(limits.unified).filter((c) =>
    !(V2_CONTROLLERS as readonly string[]).includes(c)
  );
  return { optional: optional.filter((c) => !required.includes(c)), required };
}

/** One controller to switch on in the parent, and whether the limits need it. */
export interface EnableStep {
  controller: string;
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
  const extra = extraControllers(limits);
  const wanted = new Set<string>([...V2_CONTROLLERS, ...extra.optional, ...extra.required]);
  const fromUnified = unifiedControllers(limits.unified);
  const required = (c: string) =>
    fromUnified.includes(c) ||
    ((V2_CONTROLLERS as readonly string[]).includes(c) && needs(limits, c as V2Controller));
  return KERNEL_ORDER.filter((c) => wanted.has(c) && available.includes(c) && !enabled.includes(c))
    .map((c) => ({
      controller: c,
      write: { path: join(parent, "cgroup.subtree_control"), value: `+${c}` },
      required: required(c),
    }));
}

/** Host facts the v2 plan depends on (what the container's new directory offers). */
export interface V2PlanContext {
  /** memory.swap.max exists (the kernel accounts swap). */
  swap: boolean;
  /** The io weight file the directory has, if any. */
  ioWeightFile?: "io.bfq.weight" | "io.weight";
  /** The hugetlb controller is enabled for the directory (else hugepage limits are skipped). */
  hugetlb?: boolean;
}

/** Writes for `limits` in `dir`; `unified` goes last and overrides the typed fields. */
export function planV2(limits: ResourceLimits, dir: string, ctx: V2PlanContext): CgroupWrite[] {
  return [
    ...planCpusetV2(limits, dir),
    ...planMemoryV2(limits, dir, ctx.swap),
    ...planCpuV2(limits, dir),
    ...planPids(limits, dir),
    ...planIoV2(limits, dir, ctx.ioWeightFile),
    ...(ctx.hugetlb ? planHugetlb(limits, dir, 2) : []),
    ...planUnified(limits, dir),
  ];
}
