/**
 * The container's filesystem as a plan: a pure function turns the init spec
 * into an ordered list of steps (mounts, device nodes, symlinks), so order
 * and flags are unit-tested without root; `apply_plan.ts` executes it.
 *
 * Order (as runc/bubblewrap): make `/` rprivate so nothing propagates to
 * the host → overlay root → /proc → /dev (+ the spec's device nodes, pts,
 * shm, mqueue) → /sys → (volumes, then the /etc binds, both through the
 * volumes/ mount engine: resolved in the rootfs, pinned with openat2) →
 * sysctls → masked and read-only paths → pivot_root.
 * @module
 */

import { basename, dirname, join } from "node:path";
import {
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
  MS_STRICTATIME,
  S_IFBLK,
  S_IFCHR,
} from "../../ffi/consts.ts";
import type { LinuxDevice } from "../oci/spec.ts";
import type { MountStep } from "../../volumes/mount_plan.ts";

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
  /** Write a procfs knob (sysctl). */
  | { op: "write"; path: string; data: string }
  /** Hide `path`: a dir behind an empty read-only tmpfs, a file behind /dev/null; absent: skip. */
  | { op: "mask"; path: string };

/** Inputs of the plan. */
export interface RootfsInput {
  rootfs: string;
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  etcFiles: { hosts: string; resolvConf: string; hostname: string };
  /** `linux.devices`: nodes created in /dev. */
  devices: LinuxDevice[];
  /** `linux.maskedPaths`. */
  maskedPaths: string[];
  /** `linux.readonlyPaths`. */
  readonlyPaths: string[];
  /** `linux.sysctl`, written into the container's own /proc/sys. */
  sysctl: Record<string, string>;
  /** /sys read-write (only `--privileged`). */
  sysfsWritable: boolean;
  /** The container's own cgroup dirs (host paths) and where they appear under /sys/fs/cgroup. */
  cgroupMounts: { source: string; target: string }[];
}

/**
 * Overlay options; lowerdir lists the TOP layer first (overlayfs order).
 * Relative names are used when the caller chdirs into the layers' parent,
 * keeping the option string under the kernel's one-page limit.
 */
export function overlayData(lowerDirs: string[], upperDir: string, workDir: string): string {
  const lower = [...lowerDirs].reverse().join(":");
  return `lowerdir=${lower},upperdir=${upperDir},workdir=${workDir}`;
}

/** Common parent of all layer dirs (to shorten the overlay options), if any. */
export function layersParent(lowerDirs: string[]): string | undefined {
  const parents = new Set(lowerDirs.map((d) => dirname(d)));
  return parents.size === 1 ? [...parents][0] : undefined;
}

/** The ordered setup steps up to (not including) volumes and pivot_root. */
export function rootfsPlan(
  inp: RootfsInput,
): { base: Step[]; etc: MountStep[]; masks: Step[] } {
  const r = (p: string) => join(inp.rootfs, p);
  const nodevExec = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  const parent = layersParent(inp.lowerDirs);
  const lowers = parent ? inp.lowerDirs.map((d) => basename(d)) : inp.lowerDirs;
  const base: Step[] = [
    { op: "mount", source: null, target: "/", fstype: null, flags: MS_REC | MS_PRIVATE },
    ...(parent ? [{ op: "chdir", path: parent } as Step] : []),
    {
      op: "mount",
      source: "overlay",
      target: inp.rootfs,
      fstype: "overlay",
      flags: 0,
      data: overlayData(lowers, inp.upperDir, inp.workDir),
    },
    { op: "mkdir", path: r("proc"), mode: 0o555 },
    { op: "mount", source: "proc", target: r("proc"), fstype: "proc", flags: nodevExec },
    { op: "mkdir", path: r("dev"), mode: 0o755 },
    {
      op: "mount",
      source: "tmpfs",
      target: r("dev"),
      fstype: "tmpfs",
      flags: MS_NOSUID | MS_STRICTATIME,
      data: "mode=755,size=65536k",
    },
    ...inp.devices.flatMap((d) => deviceSteps(r(d.path))(d)),
    { op: "symlink", target: "/proc/self/fd", path: r("dev/fd") },
    { op: "symlink", target: "/proc/self/fd/0", path: r("dev/stdin") },
    { op: "symlink", target: "/proc/self/fd/1", path: r("dev/stdout") },
    { op: "symlink", target: "/proc/self/fd/2", path: r("dev/stderr") },
    { op: "symlink", target: "/proc/kcore", path: r("dev/core") },
    { op: "mkdir", path: r("dev/pts"), mode: 0o755 },
    {
      op: "mount",
      source: "devpts",
      target: r("dev/pts"),
      fstype: "devpts",
      flags: MS_NOSUID | MS_NOEXEC,
      data: "newinstance,ptmxmode=0666,mode=0620,gid=5",
    },
    { op: "symlink", target: "pts/ptmx", path: r("dev/ptmx") },
    { op: "mkdir", path: r("dev/shm"), mode: 0o1777 },
    {
      op: "mount",
      source: "shm",
      target: r("dev/shm"),
      fstype: "tmpfs",
      flags: nodevExec,
      data: "mode=1777,size=65536k",
    },
    { op: "mkdir", path: r("dev/mqueue"), mode: 0o755 },
    {
      op: "mount",
      source: "mqueue",
      target: r("dev/mqueue"),
      fstype: "mqueue",
      flags: nodevExec,
      optional: true,
    },
    { op: "mkdir", path: r("sys"), mode: 0o555 },
    {
      op: "mount",
      source: "sysfs",
      target: r("sys"),
      fstype: "sysfs",
      flags: nodevExec | (inp.sysfsWritable ? 0 : MS_RDONLY),
    },
    ...cgroupSteps(inp, r),
  ];
  // after the volumes: a volume over /etc must not hide (or copy up) the generated files
  const etc: MountStep[] = ([
    ["/etc/hosts", inp.etcFiles.hosts],
    ["/etc/resolv.conf", inp.etcFiles.resolvConf],
    ["/etc/hostname", inp.etcFiles.hostname],
  ] as const).flatMap(([target, source]): MountStep[] => [
    { op: "target", target, kind: "file" },
    { op: "mount", target, source, fstype: null, flags: MS_BIND, data: null },
  ]);
  const masks: Step[] = [
    // sysctls first: /proc/sys becomes read-only below
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
  return { base, etc, masks };
}

/**
 * /sys/fs/cgroup shows only the container's own cgroup (runc's v1 layout:
 * a tmpfs with one bind per hierarchy), read-only unless privileged.
 */
function cgroupSteps(inp: RootfsInput, r: (p: string) => string): Step[] {
  if (inp.cgroupMounts.length === 0) return [];
  const ro = inp.sysfsWritable ? 0 : MS_RDONLY;
  const flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  const top = r("sys/fs/cgroup");
  const steps: Step[] = [
    { op: "mount", source: "tmpfs", target: top, fstype: "tmpfs", flags, data: "mode=755" },
  ];
  for (const m of inp.cgroupMounts) {
    const target = r(m.target);
    if (target !== top) steps.push({ op: "mkdir", path: target, mode: 0o755 });
    steps.push(
      { op: "mount", source: m.source, target, fstype: null, flags: MS_BIND | MS_REC },
      {
        op: "mount",
        source: null,
        target,
        fstype: null,
        flags: MS_BIND | MS_REMOUNT | flags | ro,
      },
    );
  }
  if (ro) {
    steps.push({
      op: "mount",
      source: null,
      target: top,
      fstype: null,
      flags: MS_REMOUNT | flags | ro,
      data: "mode=755",
    });
  }
  return steps;
}

/** mkdir of a nested parent (e.g. /dev/net), mknod, then owner. */
function deviceSteps(path: string): (d: LinuxDevice) => Step[] {
  return (d) => [
    ...(dirname(path).endsWith("/dev")
      ? []
      : [{ op: "mkdir", path: dirname(path), mode: 0o755 }] as Step[]),
    {
      op: "mknod",
      path,
      mode: (d.type === "b" ? S_IFBLK : S_IFCHR) | (d.fileMode ?? 0o666),
      major: d.major,
      minor: d.minor,
    },
    { op: "chown", path, uid: d.uid ?? 0, gid: d.gid ?? 0 },
  ];
}
