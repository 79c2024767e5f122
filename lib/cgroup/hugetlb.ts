/**
 * hugetlb controller (v1 and v2): per page size limits.
 * v1 `hugetlb.<size>.limit_in_bytes`, v2 `hugetlb.<size>.max`, where
 * `<size>` is the kernel's spelling (`2MB`, `1GB`, `64KB`).
 * @module
 */

import { join } from "../posix_path.ts";
import type { CgroupWrite, ResourceLimits } from "./types.ts";

/** The control file of page size `size` in `dir`. */
export function hugetlbFile(dir: string, size: string, version: 1 | 2): string {
  return join(dir, version === 1 ? `hugetlb.${size}.limit_in_bytes` : `hugetlb.${size}.max`);
}

/** Writes for every hugepage limit, in order. */
export function planHugetlb(l: ResourceLimits, dir: string, version: 1 | 2): CgroupWrite[] {
  return (l.hugepageLimits ?? []).map((h) => ({
    path: hugetlbFile(dir, h.pageSize, version),
    value: String(h.limit),
  }));
}
