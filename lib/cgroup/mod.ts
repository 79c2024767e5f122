/**
 * Resource limits for containers: cgroups v1 and v2 behind one interface.
 *
 * Typical use by the run path:
 * ```ts
 * const limits = parseResourceFlags(spec.resources, hostInfo()); // before creating anything
 * limits.devices = containerDeviceRules(devices, cgroupRules); // lib/oci/devices.ts
 * const cgroups = openCgroups();
 * cgroups.validate(limits);                       // controllers present?
 * const cg = cgroups.create(cgroupName(id), limits);
 * cg.addProcess(initPid);                         // before the init's "go"
 * // … container exits …
 * const oom = cg.oomKilled();
 * await cg.destroy();                             // after its processes are gone
 * ```
 *
 * The OCI runtime (`tsbox-runc`) places by `linux.cgroupsPath` instead:
 * ```ts
 * const limits = ociResources(spec.linux?.resources); // validate first
 * const cg = cgroups.createAt(spec.linux?.cgroupsPath || id, limits); // create
 * cgroups.openAt(path)?.freeze();                  // pause (resume: thaw())
 * cg.update(mergeLimits(stored, ociResources(json))); // update --resources -
 * cg.pids();                                       // ps --format json, kill --all
 * await cg.destroy({ kill });                      // delete (--force)
 * ```
 * @module
 */

import { CgroupError } from "../errors.ts";
import type { CgroupBpf, CgroupDriver } from "./types.ts";
import { type CgroupFs, realCgroupFs } from "./fs.ts";
import { CGROUP_ROOT, detectVersion } from "./host.ts";
import { V1Driver } from "./v1/driver.ts";
import { V2Driver } from "./v2/driver.ts";
import { bpfCgroupDevices } from "../../ffi/bpf.ts";

export type {
  CgroupBpf,
  CgroupDriver,
  CgroupStats,
  CgroupWrite,
  ContainerCgroup,
  HostInfo,
  ProcessKiller,
  ResourceLimits,
} from "./types.ts";
export type { CgroupFs } from "./fs.ts";
export { parseResourceFlags, RESOURCE_FLAG_NAMES } from "./parse.ts";
export { limitsToOci, mergeLimits, ociResources } from "./oci_resources.ts";
export { normalizeCgroupsPath, parseCgroupsPath } from "./cgroups_path.ts";
export { parentDirs } from "./parents.ts";
export { blkioToIoWeight } from "./v2/io.ts";
export { CGROUP_ROOT, detectVersion, hostInfo, hostMemTotal } from "./host.ts";
export { sharesToWeight } from "./v2/cpu.ts";
export { planV1 } from "./v1/plan.ts";
export { planSubtree, planV2, type V2PlanContext } from "./v2/plan.ts";
export { planDevicesV1 } from "./v1/devices.ts";
export { type BpfInsn, deviceProgram, encodeProgram } from "./v2/device_prog.ts";
export {
  deviceAllowed,
  type DeviceException,
  type DeviceRuleSet,
  normalizeDeviceRules,
} from "./device_rules.ts";

/** Options of `openCgroups`. */
export interface OpenCgroupsOptions {
  /** Where cgroup filesystems are mounted (default /sys/fs/cgroup; tests pass a fake tree). */
  root?: string;
  /** Force a version instead of detecting it. */
  version?: 1 | 2;
  /** File operations (default: the real cgroupfs; tests pass a kernel-like fake). */
  fs?: CgroupFs;
  /** v2 device-filter attachment (default: bpf(2); tests of a fake tree pass a recorder). */
  bpf?: CgroupBpf;
}

/** The host's driver, once found: a start asks for it four times (create, claim, start, teardown). */
let hostDriver: CgroupDriver | undefined;

/**
 * The cgroup driver for this host: v2 when `<root>/cgroup.controllers`
 * exists (unified), else v1 (legacy or hybrid). Reads only; creating
 * cgroups later needs root. The host's (no options) is looked up once per
 * process — its hierarchies do not move under a running tsbox — and a v1
 * lookup is ~20 stat and realpath calls.
 * @throws {CgroupError} no cgroup filesystem at `root`.
 */
export function openCgroups(opts: OpenCgroupsOptions = {}): CgroupDriver {
  const host = opts.root === undefined && opts.version === undefined && opts.fs === undefined &&
    opts.bpf === undefined;
  if (host && hostDriver) return hostDriver;
  const root = opts.root ?? CGROUP_ROOT;
  const fs = opts.fs ?? realCgroupFs;
  const version = opts.version ?? detectVersion(fs, root);
  let driver: CgroupDriver;
  if (version === 2) driver = new V2Driver(root, fs, opts.bpf ?? bpfCgroupDevices);
  else if (version === 1) driver = new V1Driver(root, fs);
  else throw new CgroupError(`unsupported cgroup version ${version}`);
  if (host) hostDriver = driver;
  return driver;
}

/** The cgroup name of container `id`: `tsbox-<id>` (flat, never shared). */
export function cgroupName(id: string): string {
  return `tsbox-${id}`;
}
