/**
 * Bridge from the init to the volume subsystem (volumes/mount.ts).
 * @module
 */

import type { Kernel } from "../kernel.ts";
import { applyMounts } from "../../volumes/mount.ts";
import type { PreparedMount } from "../../volumes/types.ts";

/** Apply the container's volume mounts inside the new mount namespace (before pivot_root). */
export function applyVolumeMounts(kernel: Kernel, rootfs: string, mounts: unknown[]): void {
  if (mounts.length) applyMounts(kernel, rootfs, mounts as PreparedMount[]);
}
