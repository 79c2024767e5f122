/**
 * Resource limits for containers: cgroups v1 and v2 behind one interface.
 *
 * Typical use by the run path:
 * ```ts
 * const limits = parseResourceFlags(spec.resources, hostInfo()); // before creating anything
 * const cgroups = openCgroups();
 * cgroups.validate(limits);                       // controllers present?
 * const cg = cgroups.create(cgroupName(id), limits);
 * cg.addProcess(initPid);                         // before the init's "go"
 * // … container exits …
 * const oom = cg.oomKilled();
 * await cg.destroy();                             // after its processes are gone
 * ```
 * @module
 */

import { CgroupError } from "../errors.ts";
import type { CgroupDriver } from "./types.ts";
import { type CgroupFs, realCgroupFs } from "./fs.ts";
import { CGROUP_ROOT, detectVersion } from "./host.ts";
import { V1Driver } from "./v1/driver.ts";
import { V2Driver } from "./v2/driver.ts";

export type {
  CgroupDriver,
  CgroupStats,
  CgroupWrite,
  ContainerCgroup,
  HostInfo,
  ResourceLimits,
} from "./types.ts";
export type { CgroupFs } from "./fs.ts";
export { parseResourceFlags, RESOURCE_FLAG_NAMES } from "./parse.ts";
export { CGROUP_ROOT, detectVersion, hostInfo, hostMemTotal } from "./host.ts";
export { sharesToWeight } from "./v2/cpu.ts";
export { planV1 } from "./v1/plan.ts";
export { planSubtree, planV2 } from "./v2/plan.ts";

/** Options of `openCgroups`. */
export interface OpenCgroupsOptions {
  /** Where cgroup filesystems are mounted (default /sys/fs/cgroup; tests pass a fake tree). */
  root?: string;
  /** Force a version instead of detecting it. */
  version?: 1 | 2;
  /** File operations (default: the real cgroupfs; tests pass a kernel-like fake). */
  fs?: CgroupFs;
  /**
   * Where containers' cgroups go, relative to `root` (`a/b`; default: the root
   * itself). cgroup v2 only; missing levels are created, with the controllers
   * enabled at each.
   */
  parent?: string;
}

/**
 * The cgroup driver for this host: v2 when `<root>/cgroup.controllers`
 * exists (unified), else v1 (legacy or hybrid). Reads only; creating
 * cgroups later needs root.
 * @throws {CgroupError} no cgroup filesystem at `root`; a `parent` on v1.
 */
export function openCgroups(opts: OpenCgroupsOptions = {}): CgroupDriver {
  const root = opts.root ?? CGROUP_ROOT;
  const fs = opts.fs ?? realCgroupFs;
  const version = opts.version ?? detectVersion(fs, root);
  if (version === 2) return new V2Driver(root, fs, opts.parent);
  if (opts.parent) {
    throw new CgroupError(`a cgroup parent (${opts.parent}) needs cgroup v2; this host has v1`);
  }
  if (version === 1) return new V1Driver(root, fs);
  throw new CgroupError(`unsupported cgroup version ${version}`);
}

/** The cgroup name of container `id`: `tsbox-<id>` (flat, never shared). */
export function cgroupName(id: string): string {
  return `tsbox-${id}`;
}
