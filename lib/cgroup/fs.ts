/**
 * The file operations the drivers do on a cgroup filesystem, behind an
 * interface so tests can run the v2 driver against a fake tree that mimics
 * the kernel (control files appearing on mkdir, subtree_control semantics,
 * injected failures). The real implementation is plain sync file I/O:
 * sync because callers may run between fork-like steps that must not yield.
 * @module
 */

import { statKind } from "../../ffi/at.ts";

/** File operations on a cgroup filesystem. Errors are Deno's (NotFound, Busy …). */
export interface CgroupFs {
  /** True when `path` exists. */
  exists(path: string): boolean;
  /** Whole file as text. */
  read(path: string): string;
  /** Write `value` to an existing control file (never creates one). */
  write(path: string, value: string): void;
  /** mkdir(2), not recursive; AlreadyExists when present. */
  mkdir(path: string): void;
  /** rmdir(2) of a cgroup directory; Busy while tasks remain. */
  rmdir(path: string): void;
  /** Symlinks resolved (co-mounted v1 controllers such as `cpu,cpuacct`). */
  realPath(path: string): string;
  /** Names of the subdirectories (child cgroups) of `path`; NotFound when absent. */
  subdirs(path: string): string[];
}

/** The real cgroupfs operations. Writes and mkdir/rmdir need root. */
export const realCgroupFs: CgroupFs = {
  // one statx, no NotFound thrown: the driver probes every v1 controller, present or not
  exists: (path) => statKind(path) !== undefined,
  read: (path) => Deno.readTextFileSync(path),
  // create: false — cgroupfs answers EACCES to O_CREAT on a missing file,
  // which would hide the real problem (controller not enabled).
  write: (path, value) => Deno.writeTextFileSync(path, value, { create: false }),
  mkdir: (path) => Deno.mkdirSync(path),
  rmdir: (path) => Deno.removeSync(path),
  realPath: (path) => Deno.realPathSync(path),
  subdirs: (path) => [...Deno.readDirSync(path)].filter((e) => e.isDirectory).map((e) => e.name),
};
