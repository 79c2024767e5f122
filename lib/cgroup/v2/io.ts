/**
 * cgroup v2 io controller: the proportional weight. With the BFQ
 * scheduler the kernel has io.bfq.weight (blkio's 10…1000 scale, written
 * as is); otherwise io.weight (1…10000), converted as runc does. Neither:
 * skipped.
 * @module
 */

import { join } from "../../posix_path.ts";
import type { CgroupWrite, ResourceLimits } from "../types.ts";

/** blkio weight [10…1000] → io.weight [1…10000] (runc's ConvertBlkIOToIOWeightValue). */
export function blkioToIoWeight(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/** Writes for the weight into `weightFile` (`io.bfq.weight`, `io.weight`; none: skipped). */
export function planIoV2(
  l: ResourceLimits,
  dir: string,
  weightFile: "io.bfq.weight" | "io.weight" | undefined,
): CgroupWrite[] {
  if (l.blkioWeight === undefined || weightFile === undefined) return [];
  const v = weightFile === "io.weight" ? blkioToIoWeight(l.blkioWeight) : l.blkioWeight;
  return [{ path: join(dir, weightFile), value: String(v) }];
}
