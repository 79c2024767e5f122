/**
 * The container's root filesystem around the OCI mounts, as plans: pure
 * functions turn the init spec into ordered steps, so order and flags are
 * unit-tested without root; `apply_plan.ts` executes them.
 *
 * Timeline (runc/bubblewrap): make `/` rprivate so nothing propagates to
 * the host → the root (tsbox's overlay, or a bind of `root.path` onto
 * itself so it can be pivoted to) → [spec.mounts through the mount engine,
 * oci_mounts.ts] → device nodes and /dev symlinks → sysctls → masked and
 * read-only paths → pivot_root.
 * @module
 */

import { basename, dirname, join } from "../posix_path.ts";
import {
  MS_BIND,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
  S_IFBLK,
  S_IFCHR,
  S_IFIFO,
} from "../../ffi/consts.ts";
import type { LinuxDevice } from "../oci/spec.ts";
import { DEFAULT_DEVICES } from "../oci/defaults.ts";

/** One setup step. Paths are absolute in the init's (pre-pivot) view. */
export type Step =
  | {
    op: "mount";
    source: string | null;
    target: string;
    fstype: string | null;
    flags: number;
    data?: string;
    optional?: boolean;
  }
  | { op: "mkdir"; path: string; mode: number }
  | { op: "mknod"; path: string; mode: number; major: number; minor: number }
  | { op: "symlink"; target: string; path: string }
  | { op: "chown"; path: string; uid: number; gid: number }
  | { op: "chdir"; path: string }
  /** Attach the detached (idmapped) mount `fd` at `target` (move_mount). */
  | { op: "attach"; fd: number; target: string }
  /** An empty file to bind a device node onto. */
  | { op: "touch"; path: string }
  /** Write a procfs knob (sysctl). */
  | { op: "write"; path: string; data: string }
  /** Hide `path`: a dir behind an empty read-only tmpfs, a file behind /dev/null; absent: skip. */
  | { op: "mask"; path: string };

/** tsbox's overlay root: image layers (BOTTOM first), the container's upper and work dirs. */
export interface OverlayRoot {
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  /** Overlay xattrs in the user.* namespace (a mount inside a user namespace). */
  userxattr?: boolean;
}

/** Inputs of the plans. */
export interface RootfsInput {
  /** Where the root is (the overlay mountpoint, or the bundle's `root.path`). */
  rootfs: string;
  /** Mount an overlay at `rootfs` (tsbox's images) instead of binding it onto itself. */
  overlay?: OverlayRoot;
  /** `linux.rootfsPropagation` (default rprivate). */
  propagation?: number;
  /** `linux.devices`, created besides the default ones. */
  devices: LinuxDevice[];
  /** `linux.maskedPaths`. */
  maskedPaths: string[];
  /** `linux.readonlyPaths`. */
  readonlyPaths: string[];
  /** `linux.sysctl`, written into the container's own /proc/sys. */
  sysctl: Record<string, string>;
  /**
   * Idmapped layer mounts (fds, BOTTOM first) to attach at `overlay.lowerDirs`
   * first; undefined: that lower dir is used as it is (a shifted copy).
   */
  lowerMounts?: (number | undefined)[];
  /** In a user namespace: bind the host's device nodes (mknod is refused there), as runc. */
  bindDevices?: boolean;
}

/**
 * Overlay options; lowerdir lists the TOP layer first (overlayfs order).
 * Relative names are used when the caller chdirs into the layers' parent,
 * keeping the option string under the kernel's one-page limit.
 */
export function overlayData(
  lowerDirs: string[],
  upperDir: string,
  workDir: string,
  userxattr = false,
): string {
  const lower = [...lowerDirs].reverse().join(":");
  return `lowerdir=${lower},upperdir=${upperDir},workdir=${workDir}${
    userxattr ? ",userxattr" : ""
  }`;
}

/** Common parent of all layer dirs (to shorten the overlay options), if any. */
export function layersParent(lowerDirs: string[]): string | undefined {
  const parents = new Set(lowerDirs.map((d) => dirname(d)));
  return parents.size === 1 ? [...parents][0] : undefined;
}

/** Private propagation for `/`, then the root mount. Pure. */
export function rootPlan(inp: RootfsInput): Step[] {
  const steps: Step[] = [
    {
      op: "mount",
      source: null,
      target: "/",
      fstype: null,
      flags: inp.propagation ?? (MS_REC | MS_PRIVATE),
    },
  ];
  const o = inp.overlay;
  if (!o) {
    // pivot_root needs a mount point: the bundle's rootfs bound onto itself
    steps.push({
      op: "mount",
      source: inp.rootfs,
      target: inp.rootfs,
      fstype: null,
      flags: MS_BIND | MS_REC,
    });
    return steps;
  }
  (inp.lowerMounts ?? []).forEach((fd, i) => {
    if (fd !== undefined) steps.push({ op: "attach", fd, target: o.lowerDirs[i] });
  });
  const parent = layersParent(o.lowerDirs);
  const lowers = parent ? o.lowerDirs.map((d) => basename(d)) : o.lowerDirs;
  if (parent) steps.push({ op: "chdir", path: parent });
  steps.push({
    op: "mount",
    source: "overlay",
    target: inp.rootfs,
    fstype: "overlay",
    flags: 0,
    data: overlayData(lowers, o.upperDir, o.workDir, o.userxattr),
  });
  return steps;
}

/** The default devices plus the spec's (the spec wins for the same path). Pure. */
export function allDevices(spec: LinuxDevice[]): LinuxDevice[] {
  const byPath = new Map<string, LinuxDevice>();
  for (const d of [...DEFAULT_DEVICES, ...spec]) byPath.set(d.path, d);
  return [...byPath.values()];
}

/** Device nodes and the /dev symlinks, after the mounts (/dev is a fresh tmpfs). Pure. */
export function devPlan(inp: RootfsInput): Step[] {
  const r = (p: string) => join(inp.rootfs, p);
  return [
    { op: "mkdir", path: r("dev"), mode: 0o755 },
    ...allDevices(inp.devices).flatMap((d) =>
      inp.bindDevices ? bindDeviceSteps(r(d.path), d) : deviceSteps(r(d.path), d)
    ),
    { op: "symlink", target: "/proc/self/fd", path: r("dev/fd") },
    { op: "symlink", target: "/proc/self/fd/0", path: r("dev/stdin") },
    { op: "symlink", target: "/proc/self/fd/1", path: r("dev/stdout") },
    { op: "symlink", target: "/proc/self/fd/2", path: r("dev/stderr") },
    { op: "symlink", target: "/proc/kcore", path: r("dev/core") },
    { op: "symlink", target: "pts/ptmx", path: r("dev/ptmx") },
  ];
}

/** sysctls first (/proc/sys becomes read-only), then masked and read-only paths. Pure. */
export function maskPlan(inp: RootfsInput): Step[] {
  const r = (p: string) => join(inp.rootfs, p);
  return [
    ...Object.entries(inp.sysctl).map(([k, v]): Step => ({
      op: "write",
      path: r(`proc/sys/${k.replaceAll(".", "/")}`),
      data: v,
    })),
    ...inp.maskedPaths.map((p): Step => ({ op: "mask", path: r(p) })),
    ...inp.readonlyPaths.flatMap((p): Step[] => [
      {
        op: "mount",
        source: r(p),
        target: r(p),
        fstype: null,
        flags: MS_BIND | MS_REC,
        optional: true,
      },
      {
        op: "mount",
        source: null,
        target: r(p),
        fstype: null,
        flags: MS_BIND | MS_REC | MS_REMOUNT | MS_RDONLY,
        optional: true,
      },
    ]),
  ];
}

/** A device in a user namespace: the host's node bound onto an empty file (runc's bindDevice). */
function bindDeviceSteps(path: string, d: LinuxDevice): Step[] {
  return [
    ...(dirname(path).endsWith("/dev")
      ? []
      : [{ op: "mkdir", path: dirname(path), mode: 0o755 }] as Step[]),
    { op: "touch", path },
    { op: "mount", source: d.path, target: path, fstype: null, flags: MS_BIND },
  ];
}

/** mkdir of a nested parent (e.g. /dev/net), mknod, then owner. */
function deviceSteps(path: string, d: LinuxDevice): Step[] {
  return [
    ...(dirname(path).endsWith("/dev")
      ? []
      : [{ op: "mkdir", path: dirname(path), mode: 0o755 }] as Step[]),
    {
      op: "mknod",
      path,
      mode: (d.type === "b" ? S_IFBLK : d.type === "p" ? S_IFIFO : S_IFCHR) |
        (d.fileMode ?? 0o666),
      major: d.major,
      minor: d.minor,
    },
    { op: "chown", path, uid: d.uid ?? 0, gid: d.gid ?? 0 },
  ];
}
