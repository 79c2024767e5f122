/**
 * Which controller each limit needs (the same four on v1 and v2), so a
 * driver can refuse up front when one is missing, naming the flags.
 * @module
 */

import type { ResourceLimits } from "./types.ts";

/** A controller limits can need. */
export type LimitController = "cpuset" | "cpu" | "memory" | "pids";

/** controller, "does `limits` need it", the flags that do (for messages). */
export const NEEDS: [LimitController, (l: ResourceLimits) => boolean, string][] = [
  [
    "cpuset",
    (l) => l.cpusetCpus !== undefined || l.cpusetMems !== undefined,
    "--cpuset-cpus/--cpuset-mems",
  ],
  [
    "cpu",
    (l) => l.cpuShares !== undefined || l.cpuPeriod !== undefined || l.cpuQuota !== undefined,
    "--cpus/--cpu-shares/--cpu-period/--cpu-quota",
  ],
  [
    "memory",
    (l) =>
      l.memory !== undefined || (l.memorySwap ?? -1) !== -1 || l.memoryReservation !== undefined,
    "--memory/--memory-swap/--memory-reservation",
  ],
  ["pids", (l) => l.pidsLimit !== undefined, "--pids-limit"],
];

/** The first controller in `NEEDS` that `limits` needs and `has` lacks, with its flags. */
export function missingController(
  limits: ResourceLimits,
  has: (c: LimitController) => boolean,
): { controller: LimitController; flags: string } | undefined {
  for (const [c, needed, flags] of NEEDS) {
    if (needed(limits) && !has(c)) return { controller: c, flags };
  }
  return undefined;
}

/** True when `limits` needs controller `c`. */
export function needs(limits: ResourceLimits, c: LimitController): boolean {
  return NEEDS.some(([n, needed]) => n === c && needed(limits));
}
