/**
 * cgroup v1 blkio controller: the proportional weight. Kernels with the
 * CFQ scheduler have blkio.weight, with BFQ blkio.bfq.weight, many have
 * neither (then the weight is skipped, as runc does).
 * @module
 */

import { join } from "../../posix_path.ts";
import type { CgroupWrite, ResourceLimits } from "../types.ts";

/** The weight file names, in the order runc tries them. */
export const BLKIO_WEIGHT_FILES = ["blkio.weight", "blkio.bfq.weight"] as const;

/** Writes for blkio: the weight into `weightFile` (a name from BLKIO_WEIGHT_FILES; none: skipped). */
export function planBlkio(
  l: ResourceLimits,
  dir: string,
  weightFile: string | undefined,
): CgroupWrite[] {
  if (l.blkioWeight === undefined || weightFile === undefined) return [];
  return [{ path: join(dir, weightFile), value: String(l.blkioWeight) }];
}
