/**
 * A container's directory is an OCI bundle: `config.json` is the runtime
 * spec the container runs with, its `root.path` the overlay mountpoint
 * `merged/` beside it. `create` writes the spec the container will start
 * with, each start rewrites it with what was actually generated (both
 * atomically), so `runc run --bundle <dir>` and `inspect`'s
 * `OCIConfigPath` see a whole file; `update` rewrites its limits. tsbox's
 * own record is `container.json`.
 * @module
 */

import type { Joins } from "./namespace_join.ts";
import { dirname, join } from "../posix_path.ts";
import { CONTAINER_ANNOTATION, ROOT_ANNOTATION } from "./bundle_annotations.ts";
import type { Spec } from "../oci/spec.ts";
import { readJsonIfExists, writeCompactJsonAtomic } from "../fsutil.ts";
import { cgroupName, limitsToOci, type ResourceLimits } from "../cgroup/mod.ts";
import { containerSpec } from "../specgen/container_spec.ts";
import type { ContainerConfig } from "./store.ts";
import type { NetworkRecord } from "./create.ts";

/** Name of the OCI runtime spec in a bundle (the runtime spec fixes it). */
export const BUNDLE_CONFIG = "config.json";

/** Path of the OCI runtime spec in container directory `dir`. */
export function bundleConfigPath(dir: string): string {
  return join(dir, BUNDLE_CONFIG);
}

/**
 * The spec container `c` in directory `dir` (`<root>/containers/<id>`)
 * starts with — the one generator of it, for create and every start: its
 * rootfs, /etc files, cgroup and namespaces, and the annotations that
 * make `tsbox-runc create` treat the bundle as this tsbox container's
 * (bundle_annotations.ts). With `joins` (a start: the namespaces it
 * joins, opened by the runner), their paths and a network donor's /etc
 * files. Pure.
 */
export function bundleSpec(
  dir: string,
  c: ContainerConfig,
  rootless = false,
  joins?: Joins,
): Spec {
  const mode = ((c.network ?? { opts: { mode: "none" } }) as NetworkRecord).opts.mode;
  // --network container: the donor's hosts, resolv.conf and hostname, as docker shares them
  const etcDir = joins?.netDonor?.dir ?? dir;
  const spec = containerSpec(c, {
    rootfs: join(dir, "merged"),
    etcFiles: {
      hosts: join(etcDir, "hosts"),
      resolvConf: join(etcDir, "resolv.conf"),
      hostname: join(etcDir, "hostname"),
    },
    cgroupsPath: `/${cgroupName(c.id)}`,
    netns: joins ? joins.net : mode === "host" ? null : undefined,
    joins,
    rootless,
  });
  return annotated(spec, dir, c.id);
}

/** `spec` with the annotations that make `dir` recognisably container `id`'s bundle. */
export function annotated(spec: Spec, dir: string, id: string): Spec {
  spec.annotations = {
    ...spec.annotations,
    [CONTAINER_ANNOTATION]: id,
    [ROOT_ANNOTATION]: dirname(dirname(dir)),
  };
  return spec;
}

/**
 * Write `spec` as the bundle's `config.json` in `dir`, atomically (temp
 * file and rename: a reader sees the old spec or the new one, never half).
 * Needs write access to `dir`, which the caller owns (as for the /etc files).
 * @throws {Deno.errors.*} I/O errors (ENOSPC: the old spec stays whole).
 */
export function writeBundleConfig(dir: string, spec: Spec): void {
  writeCompactJsonAtomic(bundleConfigPath(dir), spec);
}

/**
 * After `update`: the bundle's `linux.resources` get the new `limits`, its
 * device rules stay. Call under the container lock. A directory without a
 * readable spec (an older tsbox's; a torn one is rewritten at the next
 * start) is left alone.
 * @throws {Deno.errors.*} I/O errors of the write.
 */
export function updateBundleLimits(dir: string, limits: ResourceLimits): void {
  let spec: Spec | undefined;
  try {
    spec = readJsonIfExists<Spec>(bundleConfigPath(dir));
  } catch (err) {
    if (err instanceof SyntaxError) return; // torn or garbage: the next start writes it whole
    throw err;
  }
  if (!spec?.linux) return;
  const devices = spec.linux.resources?.devices;
  const resources = { ...limitsToOci(limits), ...(devices ? { devices } : {}) };
  writeBundleConfig(dir, { ...spec, linux: { ...spec.linux, resources } });
}
