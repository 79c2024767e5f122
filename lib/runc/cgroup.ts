/**
 * The cgroup of a runc-style container: `linux.cgroupsPath` (absolute, or
 * under the hierarchy root when relative; the systemd `slice:prefix:name`
 * form is refused by the driver) with `linux.resources`.
 * @module
 */

import type { LinuxDeviceCgroup, Spec } from "../oci/spec.ts";
import { DEFAULT_DEVICE_RULES } from "../oci/defaults.ts";
import {
  type ContainerCgroup,
  normalizeCgroupsPath,
  ociResources,
  openCgroups,
  type ResourceLimits,
} from "../cgroup/mod.ts";

/** The cgroup path of container `id` (runc's default is `/<id>`). @throws {CgroupError} invalid. */
export function cgroupPathOf(spec: Spec, id: string): string {
  return normalizeCgroupsPath(spec.linux?.cgroupsPath || id);
}

/**
 * The device rules runc applies: the spec's, then always the default
 * devices' (null, zero, full, random, urandom, tty, console, ptmx, pts — podman
 * sends only "deny all"), then an allow for each `linux.devices` node.
 */
export function deviceRulesOf(spec: Spec): LinuxDeviceCgroup[] {
  const own = spec.linux?.resources?.devices ?? [];
  const nodes = (spec.linux?.devices ?? []).filter((d) => d.type !== "p").map((d) => ({
    allow: true,
    type: d.type === "b" ? "b" : "c",
    major: d.major,
    minor: d.minor,
    access: "rwm",
  }));
  return [...own, ...DEFAULT_DEVICE_RULES.filter((r) => r.allow), ...nodes];
}

/** The limits the spec's resources ask for (device rules only when it has any). */
export function specLimits(spec: Spec): ResourceLimits {
  const limits = ociResources(spec.linux?.resources);
  if (spec.linux?.resources?.devices) limits.devices = deviceRulesOf(spec);
  return limits;
}

/** Create the container's cgroup with `limits` (the spec's). @throws {CgroupError} */
export function createCgroup(
  spec: Spec,
  id: string,
  limits = specLimits(spec),
  cgroups = openCgroups(),
): ContainerCgroup {
  cgroups.validate(limits);
  return cgroups.createAt(cgroupPathOf(spec, id), limits);
}

/** The container's cgroup, if it exists. */
export function openCgroup(cgroupsPath: string): ContainerCgroup | undefined {
  return openCgroups().openAt(cgroupsPath);
}
