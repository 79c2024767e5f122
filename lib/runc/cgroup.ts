/**
 * The cgroup of a runc-style container: `linux.cgroupsPath` (absolute, or
 * under the hierarchy root when relative; the systemd `slice:prefix:name`
 * form is refused by the driver) with `linux.resources`.
 * @module
 */

import type { Spec } from "../oci/spec.ts";
import {
  type ContainerCgroup,
  normalizeCgroupsPath,
  ociResources,
  openCgroups,
} from "../cgroup/mod.ts";

/** The cgroup path of container `id` (runc's default is `/<id>`). @throws {CgroupError} invalid. */
export function cgroupPathOf(spec: Spec, id: string): string {
  return normalizeCgroupsPath(spec.linux?.cgroupsPath || id);
}

/** Create the container's cgroup with the spec's resources. @throws {CgroupError} */
export function createCgroup(spec: Spec, id: string): ContainerCgroup {
  const cgroups = openCgroups();
  const limits = ociResources(spec.linux?.resources);
  cgroups.validate(limits);
  return cgroups.createAt(cgroupPathOf(spec, id), limits);
}

/** The container's cgroup, if it exists. */
export function openCgroup(cgroupsPath: string): ContainerCgroup | undefined {
  return openCgroups().openAt(cgroupsPath);
}
