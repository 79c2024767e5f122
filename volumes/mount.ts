/**
 * Applying the volume mounts in the container's init: inside its new,
 * private mount namespace, after the overlay is mounted at `rootfs` and
 * before pivot_root (host paths are still reachable). The plan comes from
 * `mount_plan.ts`; each mount(2) gets the target pinned as an O_PATH fd
 * (`/proc/self/fd/N`), freshly opened per step so a remount hits the new
 * mount, not the dir it covers. On failure, what was mounted is unmounted
 * again (newest first) and one VolumeError names the mount.
 *
 * Sync only: after unshare() only the main thread is in the namespace.
 * @module
 */

import type { Kernel } from "../lib/kernel.ts";
import { SyscallError, VolumeError } from "../lib/errors.ts";
import { errnoText } from "../ffi/errno.ts";
import { MNT_DETACH, MS_BIND, MS_RDONLY, MS_REMOUNT } from "../ffi/consts.ts";
import { mountPlan, type MountStep } from "./mount_plan.ts";
import { copyUp } from "./copy_up.ts";
import {
  type EnsuredTarget,
  ensureTarget,
  type Pinned,
  pinnedMountFlags,
  pinTarget,
} from "./target.ts";
import { closeFd } from "../ffi/fds.ts";
import { O_DIRECTORY, O_PATH, openPath } from "../ffi/openat.ts";
import type { PreparedMount, TargetKind } from "./types.ts";

/** The filesystem side of applying a plan (real in the init, fake in unit tests). */
export interface MountEnv {
  /** Resolve a container path inside the rootfs and create it if missing. */
  ensureTarget(target: string, kind: TargetKind): EnsuredTarget;
  /** Hold the object now at host path `path`; `path` of the result goes to mount(2). */
  pin(path: string): Pinned;
  /** MS_* flags a read-only remount of the mount at `pinned` must keep. */
  keptFlags(pinned: string): number;
  /** Copy image dir `src` into an empty volume. */
  copyUp(src: string, volumeDir: string, dataDir: string): void;
  /** Release what the environment holds (the real one: the rootfs fd). */
  close(): void;
}

/**
 * The real environment for `rootfs`. Requires root and /proc at /proc.
 * It holds `rootfs` open for the pins (one open, not one per mount) until
 * the root itself is pinned, as for a mount on it; close it when done.
 */
export function realMountEnv(kernel: Kernel, rootfs: string): MountEnv {
  const realRoot = Deno.realPathSync(rootfs);
  let held: number | undefined = openPath(rootfs, O_PATH | O_DIRECTORY);
  const release = () => {
    if (held !== undefined) closeFd(held);
    held = undefined;
  };
  return {
    ensureTarget: (target, kind) => ensureTarget(rootfs, target, kind),
    pin: (path) => {
      if (path === rootfs) release();
      return pinTarget(rootfs, realRoot, path, held);
    },
    keptFlags: pinnedMountFlags,
    copyUp: (src, volumeDir, dataDir) => void copyUp(kernel, src, volumeDir, dataDir),
    close: release,
  };
}

function describe(s: MountStep): string {
  if (s.op === "mount") return `mount ${s.source ?? s.fstype ?? ""} on ${s.target}`;
  if (s.op === "remountRo") return `make ${s.target} read-only`;
  if (s.op === "remount") return `remount ${s.target}`;
  if (s.op === "propagation") return `set propagation of ${s.target}`;
  if (s.op === "copyUp") return `copy image content of ${s.target} into ${s.dataDir}`;
  if (s.op === "attach") return `attach the idmapped mount on ${s.target}`;
  return `create mount target ${s.target}`;
}

function asVolumeError(s: MountStep, err: unknown): VolumeError {
  if (err instanceof VolumeError) return err;
  const why = err instanceof SyscallError
    ? `${errnoText(err.errnoName)} (${err.errnoName})`
    : err instanceof Error
    ? err.message
    : String(err);
  return new VolumeError(`${describe(s)}: ${why}`, { op: s.op, path: s.target, cause: err });
}

/**
 * Execute `steps` with `kernel` and `env`. On failure, unmounts what it
 * mounted (MNT_DETACH, newest first) and throws.
 * @throws {VolumeError} naming the step that failed (the SyscallError is its cause).
 */
export function applyMountPlan(kernel: Kernel, steps: MountStep[], env: MountEnv): void {
  const resolved = new Map<string, EnsuredTarget>();
  const mounted: string[] = [];
  const at = (target: string) => {
    const r = resolved.get(target);
    if (!r) throw new VolumeError(`mount plan: ${target} used before it was resolved`);
    return r;
  };
  const pinned = (target: string, fn: (p: string, pin: Pinned) => void) => {
    const p = env.pin(at(target).path);
    try {
      fn(p.path, p);
    } finally {
      p.close();
    }
  };
  for (const s of steps) {
    try {
      switch (s.op) {
        case "target":
          resolved.set(s.target, env.ensureTarget(s.target, s.kind));
          break;
        case "copyUp":
          if (at(s.target).existed) env.copyUp(at(s.target).path, s.volumeDir, s.dataDir);
          break;
        case "mount":
          pinned(s.target, (p) => kernel.mount(s.source, p, s.fstype, s.flags, s.data));
          mounted.push(at(s.target).path);
          break;
        case "attach":
          pinned(s.target, (p) => kernel.moveMount(s.fd, p));
          mounted.push(at(s.target).path);
          break;
        case "remountRo":
          pinned(s.target, (p, pin) => {
            if (kernel.setBindFlags(pin.fd, MS_RDONLY)) return;
            kernel.mount(null, p, null, MS_BIND | MS_REMOUNT | MS_RDONLY | env.keptFlags(p), null);
          });
          break;
        case "remount":
          pinned(s.target, (p, pin) => {
            if (s.bind && kernel.setBindFlags(pin.fd, s.flags)) return;
            kernel.mount(
              null,
              p,
              null,
              MS_REMOUNT | s.flags | (s.bind ? MS_BIND | env.keptFlags(p) : 0),
              null,
            );
          });
          break;
        case "propagation":
          pinned(s.target, (p) => kernel.mount(null, p, null, s.flags, null));
          break;
      }
    } catch (err) {
      const undoFailed: string[] = [];
      for (const path of mounted.reverse()) {
        try {
          kernel.umount2(path, MNT_DETACH);
        } catch (umountErr) {
          // the namespace dies with the init anyway; report and go on
          undoFailed.push(
            `${path}: ${umountErr instanceof Error ? umountErr.message : String(umountErr)}`,
          );
        }
      }
      const e = asVolumeError(s, err);
      if (!undoFailed.length) throw e;
      throw new VolumeError(e.message, {
        cause: e.cause,
        hint: `could not unmount: ${undoFailed.join("; ")}`,
      });
    }
  }
}

/**
 * Mount every volume/bind/tmpfs of the container under `rootfs`. Call in
 * the init, in its new private mount namespace, after the rootfs overlay is
 * mounted and before pivot_root. Requires root (CAP_SYS_ADMIN).
 * @throws {VolumeError} a target cannot be created or a mount fails (earlier mounts are undone).
 */
export function applyMounts(kernel: Kernel, rootfs: string, mounts: PreparedMount[]): void {
  if (mounts.length === 0) return;
  const env = realMountEnv(kernel, rootfs);
  try {
    applyMountPlan(kernel, mountPlan(mounts), env);
  } finally {
    env.close();
  }
}
