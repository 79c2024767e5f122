/**
 * Host facts for resource limits: online CPUs and memory nodes, total RAM,
 * and which cgroup version is mounted. Read-only; no privileges needed.
 * @module
 */

import { join } from "../posix_path.ts";
import { CgroupError } from "../errors.ts";
import type { HostInfo } from "./types.ts";
import { parseList } from "./units.ts";
import type { CgroupFs } from "./fs.ts";

/** Where cgroup filesystems are mounted. */
export const CGROUP_ROOT = "/sys/fs/cgroup";

/** v1 hierarchies tsbox uses (cpu and cpuacct may share one mount). */
export const V1_CONTROLLERS = [
  "memory",
  "cpu",
  "cpuacct",
  "cpuset",
  "pids",
  "devices",
  "freezer",
  "blkio",
  "hugetlb",
] as const;

/**
 * Online CPUs and memory nodes from /sys/devices/system/{cpu,node}/online.
 * A kernel without NUMA has no node directory: node 0 is assumed.
 * @throws {CgroupError} the CPU list is unreadable.
 */
export function hostInfo(sysDevices = "/sys/devices/system"): HostInfo {
  const read = (p: string): string | undefined => {
    try {
      return Deno.readTextFileSync(join(sysDevices, p)).trim();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    }
  };
  const cpus = read("cpu/online");
  if (cpus === undefined) {
    throw new CgroupError(`read ${sysDevices}/cpu/online: no such file`, { op: "read" });
  }
  const mems = read("node/online") ?? "0";
  return { cpus: parseList("cpu", cpus), mems: parseList("node", mems) };
}

/** Total RAM in bytes from /proc/meminfo (what docker shows as an unlimited limit). */
export function hostMemTotal(meminfo = Deno.readTextFileSync("/proc/meminfo")): number {
  const m = /^MemTotal:\s+(\d+) kB/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * Which cgroup version is mounted at `root`: 2 when the mount root holds
 * `cgroup.controllers` (unified), 1 when v1 hierarchies are there
 * (legacy or hybrid — a hybrid's `unified/` has no useful controllers).
 * @throws {CgroupError} neither is found.
 */
export function detectVersion(fs: CgroupFs, root: string): 1 | 2 {
  if (fs.exists(join(root, "cgroup.controllers"))) return 2;
  if (V1_CONTROLLERS.some((c) => fs.exists(join(root, c)))) return 1;
  throw new CgroupError(`no cgroup filesystem found at ${root}`, {
    path: root,
    hint: "mount cgroup2 (or the v1 hierarchies) under /sys/fs/cgroup",
  });
}
