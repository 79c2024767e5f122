/**
 * The cgroup of a runc-style container: `linux.cgroupsPath` (absolute, or
 * relative to the hierarchy root as runc's cgroupfs driver does; the
 * systemd `slice:prefix:name` form is refused) and `linux.resources`.
 * @module
 */

import type { Spec } from "../oci/spec.ts";
import { TsboxError } from "../errors.ts";
import { type ContainerCgroup, openCgroups, type ResourceLimits } from "../cgroup/mod.ts";

/** The cgroup path of container `id` (runc's default is `/<id>`). */
export function cgroupPathOf(spec: Spec, id: string): string {
  const p = spec.linux?.cgroupsPath;
  if (!p) return `/${id}`;
  if (/^[^/]*:[^/]*:/.test(p)) {
    throw new TsboxError(
      `cgroupsPath "${p}" is systemd-style: tsbox-runc has no systemd cgroup driver`,
      { exitCode: 1 },
    );
  }
  return p.startsWith("/") ? p : `/${p}`;
}

/** The driver's name for a cgroup path (a nested path is one name per hierarchy). */
function nameOf(path: string): string {
  return path.replace(/^\/+/, "");
}

/** ResourceLimits from OCI resources (what this driver applies). */
export function limitsOf(spec: Spec): ResourceLimits {
  const r = spec.linux?.resources ?? {};
  const limits: ResourceLimits = {};
  if (r.devices) limits.devices = r.devices;
  if (r.memory?.limit && r.memory.limit > 0) limits.memory = r.memory.limit;
  if (r.pids?.limit && r.pids.limit > 0) limits.pidsLimit = r.pids.limit;
  if (r.cpu?.shares) limits.cpuShares = r.cpu.shares;
  if (r.cpu?.quota && r.cpu.quota > 0) limits.cpuQuota = r.cpu.quota;
  if (r.cpu?.period) limits.cpuPeriod = r.cpu.period;
  if (r.cpu?.cpus) limits.cpusetCpus = r.cpu.cpus;
  if (r.cpu?.mems) limits.cpusetMems = r.cpu.mems;
  return limits;
}

/** Create the container's cgroup. */
export function createCgroup(spec: Spec, id: string): ContainerCgroup {
  return openCgroups().create(nameOf(cgroupPathOf(spec, id)), limitsOf(spec));
}

/** The container's cgroup, if it exists. */
export function openCgroup(cgroupsPath: string): ContainerCgroup | undefined {
  return openCgroups().open(nameOf(cgroupsPath));
}

/** Every host pid in the container's cgroup dirs (cgroup.procs of each hierarchy). */
export function cgroupPids(cg: ContainerCgroup | undefined): number[] {
  const pids = new Set<number>();
  for (const dir of cg?.paths ?? []) {
    let text: string;
    try {
      text = Deno.readTextFileSync(`${dir}/cgroup.procs`);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue; // removed meanwhile
      throw err;
    }
    for (const l of text.split("\n")) if (l) pids.add(Number(l));
  }
  return [...pids];
}
