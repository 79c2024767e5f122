/**
 * Spawn a child as PID 1 of a new PID namespace: unshare(CLONE_NEWPID) on
 * the main thread changes only where the *next* child goes, so the parent
 * restores its own namespace for children right after the spawn (CNI
 * plugins and later spawns must not land in the container).
 * @module
 */

import type { Kernel } from "../kernel.ts";
import { CLONE_NEWPID } from "../../ffi/consts.ts";
import { openNsFd } from "../../ffi/ns.ts";
import { closeFd } from "../../ffi/fds.ts";

/** Run `spawn` with CLONE_NEWPID in effect for it only. */
export function spawnInNewPidNs<T>(kernel: Kernel, spawn: () => T): T {
  const own = openNsFd("/proc/self/ns/pid");
  try {
    kernel.unshare(CLONE_NEWPID);
    try {
      return spawn();
    } finally {
      kernel.setns(own, CLONE_NEWPID);
    }
  } finally {
    closeFd(own);
  }
}

/** Run `spawn` with pid_for_children set to the PID namespace at `path` (restored at once). */
export function spawnInPidNsAt<T>(kernel: Kernel, path: string, spawn: () => T): T {
  const target = openNsFd(path);
  const own = openNsFd("/proc/self/ns/pid");
  try {
    kernel.setns(target, CLONE_NEWPID);
    try {
      return spawn();
    } finally {
      kernel.setns(own, CLONE_NEWPID);
    }
  } finally {
    closeFd(target);
    closeFd(own);
  }
}
