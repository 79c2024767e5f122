/**
 * The steps of starting a tsbox container that OCI has no field for,
 * shared by tsbox's own start (runner.ts, the Deno monitor and a
 * foreground run) and `tsbox-runc create` of a tsbox bundle (the conmon
 * path, lib/runc/tsbox_bundle.ts):
 *
 *   write the bundle (/etc files, config.json) → cgroup → what the init
 *   gets beside the spec (overlay root, volume copy-up, cgroup view,
 *   compiled seccomp) → "userns" (maps, idmapped layers) → "ns" (network).
 * @module
 */

import type { Joins } from "./namespace_join.ts";
import { join } from "../posix_path.ts";
import type { Kernel } from "../kernel.ts";
import type { Paths } from "../paths.ts";
import { containerDir } from "../paths.ts";
import type { Spec } from "../oci/spec.ts";
import {
  type CgroupDriver,
  cgroupName,
  type ContainerCgroup,
  type ResourceLimits,
} from "../cgroup/mod.ts";
import { cgroupViewMounts } from "../cgroup/mounts.ts";
import { attachEndpoints, writeEtcFiles } from "../net/mod.ts";
import { liveAttachments } from "../net/endpoints.ts";
import { lowerMountpoint, ownEtcFiles } from "../userns/ownership.ts";
import { cachedSeccomp } from "../seccomp/cache.ts";
import type { PreparedMount } from "../../volumes/types.ts";
import { bundleSpec, writeBundleConfig } from "./bundle.ts";
import { completeUserns, type InitChild } from "./init_child.ts";
import type { InitSpec } from "./init_spec.ts";
import { type ContainerConfig, writeConfig } from "./store.ts";
import type { NetworkRecord } from "./create.ts";
import { withContainerLock } from "./lock.ts";

/** What the start steps need of the caller's context. */
export interface StartContext {
  paths: Paths;
  kernel: Kernel;
  /** Rootless: no cgroup of our own, userxattr overlay, device nodes bound. */
  rootless?: boolean;
  /** TSBOX_IDMAP=copy: shifted copies of the layers even where idmapping works. */
  copyLayers?: boolean;
}

/** What the init gets beside the OCI spec for a tsbox container. */
export type InitExtras = Pick<
  InitSpec,
  "overlay" | "copyUps" | "cgroupMounts" | "seccomp" | "userns" | "unprivileged"
>;

/** The network record of `config` (none when absent). */
export function networkOf(config: ContainerConfig): NetworkRecord {
  return (config.network ?? { opts: { mode: "none" } }) as NetworkRecord;
}

/**
 * Write what this start runs: the /etc files and the bundle's config.json
 * (the generated spec, annotated with the container's id and state root).
 * Needs write access to the container directory.
 * @throws {Deno.errors.*} I/O errors.
 */
export function writeStartBundle(
  ctx: StartContext,
  config: ContainerConfig,
  joins?: Joins,
): Spec {
  const oci = startSpec(ctx, config, joins);
  writeBundleConfig(containerDir(ctx.paths, config.id), oci); // the spec this start runs
  return oci;
}

/**
 * writeStartBundle's first half: the /etc files written, the spec made;
 * the caller writes it with writeBundleConfig before the init reads it.
 * @throws {Deno.errors.*} I/O errors.
 */
export function startSpec(ctx: StartContext, config: ContainerConfig, joins?: Joins): Spec {
  const dir = containerDir(ctx.paths, config.id);
  // a network donor's files are its own: shared, not written or taken over
  if (!joins?.netDonor) {
    const etc = writeEtcFiles(dir, {
      hostname: config.hostname,
      opts: networkOf(config).opts as never,
      containerName: config.name,
    });
    if (config.userns) ownEtcFiles([etc.hosts, etc.resolvConf, etc.hostname], config.userns);
  }
  return bundleSpec(dir, config, ctx.rootless, joins);
}

/**
 * The container's cgroup with its limits (rootless: none, it stays in ours).
 * @throws {CgroupError} the limits cannot be applied.
 */
export function createContainerCgroup(
  ctx: StartContext,
  cgroups: CgroupDriver,
  config: ContainerConfig,
): ContainerCgroup | undefined {
  if (ctx.rootless) return undefined;
  return cgroups.create(cgroupName(config.id), config.resources as ResourceLimits);
}

/** The volumes to fill from the image before they are bound (docker's copy-up). */
function copyUps(mounts: PreparedMount[]): InitSpec["copyUps"] {
  return mounts.filter((m) => m.volume?.copyUp).map((m) => ({
    target: m.target,
    volumeDir: m.volume!.dir,
    dataDir: m.source,
  }));
}

/** What the init of `config` gets beside `oci`: overlay root, copy-ups, cgroup view, seccomp. */
export async function initExtras(
  ctx: StartContext,
  config: ContainerConfig,
  oci: Spec,
  cgroups: CgroupDriver,
  cgroup: ContainerCgroup | undefined,
): Promise<InitExtras> {
  const dir = containerDir(ctx.paths, config.id);
  const userns = config.userns;
  const layerDirs = config.image.layerDirs;
  return {
    overlay: {
      // remapped: the layers are attached idmapped at the container's own mountpoints
      lowerDirs: userns ? layerDirs.map((_, i) => lowerMountpoint(dir, i)) : layerDirs,
      upperDir: join(dir, "upper"),
      workDir: join(dir, "work"),
      ...(userns || ctx.rootless ? { userxattr: true } : {}),
    },
    copyUps: copyUps(config.mounts as PreparedMount[]),
    cgroupMounts: cgroup ? cgroupViewMounts(cgroups.version, cgroup) : [],
    seccomp: oci.linux?.seccomp && await cachedSeccomp(ctx.paths, oci.linux.seccomp),
    ...(userns || ctx.rootless ? { userns: true } : {}),
    ...(ctx.rootless ? { unprivileged: true } : {}),
  };
}

/**
 * The parent's half of the "userns" step for a tsbox container: maps from
 * the record, its image layers idmapped.
 * @throws {TsboxError|SyscallError} see completeUserns.
 */
export async function completeContainerUserns(
  ctx: StartContext,
  sock: number,
  init: InitChild,
  config: ContainerConfig,
  oci: Spec,
): Promise<void> {
  const userns = config.userns;
  const dir = containerDir(ctx.paths, config.id);
  const layers = completeUserns(
    ctx.kernel,
    sock,
    init,
    { uid: userns?.uidMappings ?? [], gid: userns?.gidMappings ?? [] },
    userns ? config.image.layerDirs : [],
    oci.mounts,
    dir,
    { copyTo: (i) => lowerMountpoint(dir, i), copyLayers: ctx.copyLayers },
  );
  if (userns && userns.layers !== layers) {
    // inspect says how the image is shown (under the lock, on a fresh read)
    await withContainerLock(ctx.paths, config.id, (rec) => {
      writeConfig(ctx.paths, { ...rec.config, userns: { ...userns, layers } });
    });
  }
}

/**
 * The "ns" step of a bridged container: attach its network namespace (of
 * init `pid`) to every network it is on (eth0, eth1, … in the order of its
 * endpoints), record the attachments under the lock on a fresh read (a
 * concurrent `rename` must not be undone), rewrite the /etc files with the
 * addresses. No-op for other network modes. Returns the network record.
 * @throws {NetworkError} the attach failed (nothing of it is left).
 */
export async function attachAtNs(
  ctx: StartContext,
  config: ContainerConfig,
  pid: number,
): Promise<NetworkRecord> {
  const net0 = networkOf(config);
  if (net0.opts.mode !== "bridge") return net0;
  const net = await attachEndpoints(ctx.paths, config, net0, `/proc/${pid}/ns/net`, ctx.kernel);
  await withContainerLock(ctx.paths, config.id, (rec) => {
    writeConfig(ctx.paths, { ...rec.config, network: net });
  });
  writeEtcFiles(containerDir(ctx.paths, config.id), {
    hostname: config.hostname,
    attachments: liveAttachments(net),
    opts: net.opts,
    containerName: config.name,
  });
  return net;
}
