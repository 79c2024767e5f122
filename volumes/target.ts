/**
 * Mount targets inside the rootfs, resolved as a chroot would: component
 * by component with lstat, symlinks expanded relative to the rootfs (an
 * absolute link restarts at the rootfs, `..` stops at it), so no target
 * can land outside. Missing dirs are created one level at a time without
 * following links; the result is then pinned as an O_PATH fd opened with
 * openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) and re-verified through
 * /proc/self/fd, and mount(2) is given `/proc/self/fd/N` — so swapping a
 * component for a symlink after the check cannot redirect the mount.
 *
 * Sync only: this runs in the init, inside the container's mount namespace.
 * @module
 */

import { relative } from "../lib/posix_path.ts";
import { VolumeError } from "../lib/errors.ts";
import { SyscallError } from "../lib/errors.ts";
import { closeFd } from "../ffi/fds.ts";
import {
  O_DIRECTORY,
  O_NOFOLLOW,
  O_PATH,
  openat2,
  openPath,
  RESOLVE_BENEATH,
  RESOLVE_NO_SYMLINKS,
} from "../ffi/openat.ts";
import {
  MS_NOATIME,
  MS_NODEV,
  MS_NODIRATIME,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RELATIME,
} from "../ffi/consts.ts";
import type { TargetKind } from "./types.ts";
import { type FileKind, lstatKind } from "../ffi/at.ts";

/** Linux's limit on symlinks followed in one lookup. */
const MAX_LINKS = 40;

/**
 * Resolve absolute container path `target` under host dir `root` without
 * creating anything. Returns the components below `root` (no symlinks, no
 * `..`); trailing ones may not exist yet.
 * @throws {VolumeError} too many symlinks, or a non-directory in the middle.
 */
export function resolveInRoot(root: string, target: string): string[] {
  return resolveWithKinds(root, target).parts;
}

/** resolveInRoot, with what lstat saw at each component (undefined: missing). */
function resolveWithKinds(
  root: string,
  target: string,
): { parts: string[]; kinds: (FileKind | undefined)[] } {
  const parts: string[] = [];
  const kinds: (FileKind | undefined)[] = [];
  const queue = target.split("/").filter((c) => c !== "");
  let links = 0;
  while (queue.length) {
    const c = queue.shift()!;
    if (c === ".") continue;
    if (c === "..") {
      parts.pop(); // at the rootfs top `..` stays there, as in a chroot
      kinds.pop();
      continue;
    }
    const path = `${root}/${[...parts, c].join("/")}`;
    const st = lstatKind(path);
    if (st === "symlink") {
      if (++links > MAX_LINKS) {
        throw new VolumeError(`mount target ${target}: too many levels of symbolic links`);
      }
      const link = Deno.readLinkSync(path);
      if (link.startsWith("/")) { // absolute: relative to the rootfs, never the host
        parts.length = 0;
        kinds.length = 0;
      }
      queue.unshift(...link.split("/").filter((x) => x !== ""));
      continue;
    }
    if (st && st !== "dir" && queue.length) {
      throw new VolumeError(`mount target ${target}: ${path} is not a directory`);
    }
    parts.push(c);
    kinds.push(st);
  }
  return { parts, kinds };
}

/** Where a target ended up and whether it was already there (copy-up needs that). */
export interface EnsuredTarget {
  /** Host path below the rootfs, free of symlinks. */
  path: string;
  /** The target existed before (in the image or an earlier mount). */
  existed: boolean;
}

/**
 * Resolve `target` under `root` and create what is missing: dirs, and for a
 * file bind the last component as an empty file. Requires write access to
 * the rootfs (root in the init).
 * @throws {VolumeError} a file where a dir is needed (or the reverse), or
 *   the tree keeps changing under us.
 */
export function ensureTarget(root: string, target: string, kind: TargetKind): EnsuredTarget {
  for (let attempt = 0; attempt < 3; attempt++) {
    // what the resolution saw is taken as it is (the pin re-verifies the whole path);
    // only what it creates is looked at again
    const { parts, kinds } = resolveWithKinds(root, target);
    let path = root;
    let existed = true;
    let raced = false;
    for (let i = 0; i < parts.length && !raced; i++) {
      path = `${path}/${parts[i]}`;
      const last = i === parts.length - 1;
      let st = kinds[i];
      if (!st) {
        existed = false;
        try {
          if (last && kind === "file") {
            Deno.openSync(path, { createNew: true, write: true, mode: 0o644 }).close();
          } else {
            Deno.mkdirSync(path);
            Deno.chmodSync(path, 0o755); // mkdir honours the umask
          }
        } catch (err) {
          // created by someone else between lstat and here: resolve again
          if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
        }
        st = lstatKind(path);
        if (!st) raced = true; // removed again at once: resolve again
      }
      if (raced) break;
      if (st === "symlink") raced = true; // a component turned into a symlink: resolve again
      else if (!last && st !== "dir") {
        throw new VolumeError(`mount target ${target}: ${path} is not a directory`);
      } else if (last && kind === "dir" && st !== "dir") {
        throw new VolumeError(`cannot mount a directory on ${target}: ${path} is not a directory`);
      } else if (last && kind === "file" && st === "dir") {
        throw new VolumeError(`cannot mount a file on ${target}: ${path} is a directory`);
      }
    }
    if (!raced) return { path, existed };
  }
  throw new VolumeError(`mount target ${target} keeps changing while it is being set up`);
}

/** A target held open: `path` is what to give mount(2), `fd` the O_PATH fd; close when done. */
export interface Pinned {
  path: string;
  fd: number;
  close(): void;
}

/**
 * Open the object now at host path `path` (below `root`) as an O_PATH fd
 * and check it really is that path. With openat2 the kernel refuses any
 * symlink and any escape from `root`; without it (ENOSYS) O_NOFOLLOW plus
 * the /proc check still catch a swap. Requires /proc mounted at /proc.
 * `held`: `root` held open by the caller (O_PATH|O_DIRECTORY), which
 * nothing is mounted on while it is held; opened here for this pin otherwise.
 * @throws {VolumeError} the path changed or left the rootfs.
 */
export function pinTarget(root: string, realRoot: string, path: string, held?: number): Pinned {
  const rel = relative(root, path);
  if (rel.startsWith("..") || rel.startsWith("/")) {
    throw new VolumeError(`mount target ${path} is outside ${root}`);
  }
  let fd: number;
  const rootFd = held ?? openPath(root, O_PATH | O_DIRECTORY);
  try {
    fd = openat2(rootFd, rel || ".", O_PATH, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
  } catch (err) {
    if (!(err instanceof SyscallError)) throw err;
    // kernels before 5.6 (or seccomp) have no openat2: fall back, the /proc check below still holds
    if (err.errnoName === "ENOSYS" || err.errnoName === "EPERM") {
      fd = openPath(path, O_PATH | O_NOFOLLOW);
    } else {
      throw new VolumeError(
        `mount target ${path} changed while it was being set up (${err.errnoName})`,
        {
          cause: err,
        },
      );
    }
  } finally {
    if (rootFd !== held) closeFd(rootFd);
  }
  const expected = rel ? `${realRoot}/${rel}` : realRoot;
  const seen = Deno.readLinkSync(`/proc/self/fd/${fd}`);
  if (seen !== expected) {
    closeFd(fd);
    throw new VolumeError(`mount target ${path} changed while it was being set up (now ${seen})`);
  }
  return { path: `/proc/self/fd/${fd}`, fd, close: () => closeFd(fd) };
}

/** Per-mount flags a bind remount must repeat, from mountinfo's option field. */
const KEEP: Record<string, number> = {
  nosuid: MS_NOSUID,
  nodev: MS_NODEV,
  noexec: MS_NOEXEC,
  noatime: MS_NOATIME,
  nodiratime: MS_NODIRATIME,
  relatime: MS_RELATIME,
};

/** The MS_* flags to keep for mount `mntId`, read from a mountinfo text. Pure. */
export function keptFlags(mountinfo: string, mntId: number): number {
  const line = mountinfo.split("\n").find((l) => l.split(" ")[0] === String(mntId));
  if (!line) return 0;
  return line.split(" ")[5].split(",").reduce((f, o) => f | (KEEP[o] ?? 0), 0);
}

/**
 * Flags of the mount a pinned `/proc/self/fd/N` is on, so that a read-only
 * remount keeps nosuid/nodev/noexec (docker/runc do the same).
 */
export function pinnedMountFlags(pinned: string): number {
  const fd = pinned.slice("/proc/self/fd/".length);
  const m = /^mnt_id:\s*(\d+)$/m.exec(Deno.readTextFileSync(`/proc/self/fdinfo/${fd}`));
  if (!m) return 0;
  return keptFlags(Deno.readTextFileSync("/proc/self/mountinfo"), Number(m[1]));
}
