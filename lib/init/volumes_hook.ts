/**
 * Bridge from the init to the volume subsystem (volumes/mount.ts).
 * @module
 */

import type { Kernel } from "../kernel.ts";

/** Apply the container's volume mounts inside the new mount namespace (before pivot_root). */
export function applyVolumeMounts(_kernel: Kernel, _rootfs: string, mounts: unknown[]): void {
  if (mounts.length) throw new Error("volume mounts are not wired in yet");
}
