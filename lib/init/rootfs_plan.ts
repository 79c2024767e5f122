/**
 * The container's filesystem as a plan: a pure function turns the init spec
 * into an ordered list of steps (mounts, device nodes, symlinks), so order
 * and flags are unit-tested without root; `apply_plan.ts` executes it.
 *
 * Order (as runc/bubblewrap): make `/` rprivate so nothing propagates to
 * the host → overlay root → /proc → /dev (+ nodes, pts, shm, mqueue) →
 * /sys → (volumes, applied by volumes/) → /etc binds → masks → pivot_root.
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
  S_IFCHR,
} from "../../ffi/consts.ts";

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
  | { op: "touch"; path: string }
  | { op: "chdir"; path: string };

/** Inputs of the plan. */
export interface RootfsInput {
  rootfs: string;
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  etcFiles: { hosts: string; resolvConf: string; hostname: string };
}

/** Device nodes every container gets (name, major, minor), mode 0666. */
export const DEVICES: [string, number, number][] = [
  ["null", 1, 3],
  ["zero", 1, 5],
  ["full", 1, 7],
  ["random", 1, 8],
  ["urandom", 1, 9],
  ["tty", 5, 0],
];

/** /proc files hidden behind /dev/null (docker's default masked paths). */
const MASKED_FILES = [
  "/proc/kcore",
  "/proc/keys",
  "/proc/timer_list",
  "/proc/sched_debug",
  "/proc/latency_stats",
];
/** Dirs hidden behind an empty read-only tmpfs. */
const MASKED_DIRS = ["/proc/acpi", "/proc/scsi", "/sys/firmware"];
/** /proc paths made read-only. */
const READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

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
export function rootfsPlan(inp: RootfsInput): { base: Step[]; etc: Step[]; masks: Step[] } {
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
    ...DEVICES.map(([name, major, minor]): Step => ({
      op: "mknod",
      path: r(`dev/${name}`),
      mode: S_IFCHR | 0o666,
      major,
      minor,
    })),
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
      flags: nodevExec | MS_RDONLY,
    },
  ];
  // after the volumes: a volume over /etc must not hide (or copy up) the generated files
  const etc: Step[] = [
    { op: "mkdir", path: r("etc"), mode: 0o755 },
    ...([["hosts", inp.etcFiles.hosts], ["resolv.conf", inp.etcFiles.resolvConf], [
      "hostname",
      inp.etcFiles.hostname,
    ]] as const)
      .flatMap(([name, src]): Step[] => [
        { op: "touch", path: r(`etc/${name}`) },
        { op: "mount", source: src, target: r(`etc/${name}`), fstype: null, flags: MS_BIND },
      ]),
  ];
  const masks: Step[] = [
    ...MASKED_FILES.map((p): Step => ({
      op: "mount",
      source: "/dev/null",
      target: r(p),
      fstype: null,
      flags: MS_BIND,
      optional: true,
    })),
    ...MASKED_DIRS.map((p): Step => ({
      op: "mount",
      source: "tmpfs",
      target: r(p),
      fstype: "tmpfs",
      flags: MS_RDONLY,
      data: "size=0",
      optional: true,
    })),
    ...READONLY.flatMap((p): Step[] => [
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
