/**
 * `create`: validate every flag, resolve (or pull) the image, allocate an
 * id and a unique name, prepare volumes and write the container record.
 * All validation happens before the first side effect; a failure after it
 * removes what was made, so no half-created container is left.
 * @module
 */

import { join } from "../posix_path.ts";
import type { CliContext } from "../cli/context.ts";
import { containerDir, type Paths } from "../paths.ts";
import { ImageError, TsboxError, UsageError } from "../errors.ts";
import { lookupImage } from "../image/lookup.ts";
import type { ResolvedImage } from "../image/types.ts";
import { lazy } from "../lazy.ts";
import { hostInfo, openCgroups, parseResourceFlags } from "../cgroup/mod.ts";
import { parseMountFlags, withImageVolumes } from "../../volumes/spec.ts";
import { prepareMounts } from "../../volumes/prepare.ts";
import { removeAnonymousVolumes } from "../../volumes/cleanup.ts";
import { parseNetworkFlags, prepareNetwork } from "../net/mod.ts";
import type { NetworkRecord } from "../net/types.ts";
import { buildProcess } from "./process.ts";
import { assertLayersPresent } from "./layer_check.ts";
import { generateName, newId, validateName } from "./names.ts";
import {
  type ContainerConfig,
  containerNames,
  type ContainerRecord,
  listContainers,
  RECORD_FILE,
  STAGING_PREFIX,
  stagingName,
  stagingOwner,
} from "./store.ts";
import { ownerAlive } from "../image/store_layout.ts";
import { bundleSpec, writeBundleConfig } from "./bundle.ts";
import type { ContainerSpec } from "./types.ts";
import { withLock, writeCompactJsonAtomic, writeJsonAtomic } from "../fsutil.ts";
import { exposedPorts, parseExpose } from "./expose.ts";
import { volumesFromFlags } from "./volumes_from.ts";
import { parseLogConfig } from "./log_config.ts";
import { parseRestartPolicy } from "./restart_policy.ts";
import { type Healthcheck, resolveHealthcheck } from "./health_config.ts";
import { initMount, withInit } from "./init_process.ts";
import { safeRemoveTree } from "../safe_remove.ts";
import { containerSecurity } from "../security/container.ts";
import { parseUserns } from "../userns/maps.ts";
import { hostRanges, resolveUserns, tsboxRanges } from "../userns/allocate.ts";
import type { IdRange } from "../userns/subid.ts";
import { ownForUserns } from "../userns/ownership.ts";
import { cachedSeccomp } from "../seccomp/cache.ts";
import {
  checkNamespacedSysctls,
  findDonor,
  parseNamespaceFlags,
  resolveDonors,
} from "./namespace_modes.ts";
import { parseShmSize } from "./shm_size.ts";
import { recordEvent } from "./events.ts";

/** What `config.network` holds (lib/net/types.ts owns the shape). */
export type { NetworkRecord };

/** Image pull policy and options. */
export interface CreateOptions {
  pull: "missing" | "always" | "never";
  platform?: string;
  quiet: boolean;
}

const HOSTNAME_RE =
  /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** Find the image locally or pull it, per policy (the registry client is loaded only to pull). */
export async function resolveImage(
  ctx: CliContext,
  ref: string,
  opts: CreateOptions,
): Promise<ResolvedImage> {
  const local = opts.pull === "always" ? undefined : lookupImage(ctx.paths, ref);
  if (local) return local;
  if (opts.pull === "never") throw new ImageError(`No such image: ${ref}`);
  if (!opts.quiet) console.error(`Unable to find image '${ref}' locally`);
  try {
    const { pullImage } = await lazy("registry/pull.ts");
    return await pullImage(ctx.paths, ref, { quiet: opts.quiet, platform: opts.platform });
  } catch (err) {
    if (err instanceof TsboxError) throw err;
    throw new ImageError(`pulling ${ref} failed`, { cause: err });
  }
}

/**
 * Create a container (status `created`).
 * @throws {UsageError} invalid flags (nothing created).
 * @throws {ImageError} missing image.
 */
export async function createContainer(
  ctx: CliContext,
  spec: ContainerSpec,
  opts: CreateOptions,
): Promise<ContainerConfig> {
  // 1. validate everything (pure) before any side effect
  if (spec.name !== undefined) validateName(spec.name);
  if (spec.hostname !== undefined && !HOSTNAME_RE.test(spec.hostname)) {
    throw new UsageError(`invalid hostname format: ${spec.hostname}`);
  }
  const cgroups = openCgroups();
  const volumes = spec.init ? [...spec.volumes, initMount()] : spec.volumes;
  let mountSpecs = parseMountFlags({
    volume: volumes,
    mount: spec.mounts,
    tmpfs: spec.tmpfs,
  });
  if (spec.volumesFrom?.length) {
    const own = new Set(mountSpecs.map((m) => m.target));
    mountSpecs = parseMountFlags({
      volume: [...volumes, ...volumesFromFlags(ctx.paths, spec.volumesFrom, own)],
      mount: spec.mounts,
      tmpfs: spec.tmpfs,
    });
  }
  let netOpts = parseNetworkFlags({
    network: spec.network,
    publish: spec.publish,
    dns: spec.dns,
    addHost: spec.addHost,
    rootless: ctx.rootless,
  });
  if (ctx.rootless && netOpts.mode === "bridge") {
    throw new UsageError(
      `rootless: the network "${netOpts.network}" is a bridge, which needs root`,
      {
        hint: "use the default (slirp4netns), --network none or --network host",
      },
    );
  }
  const expose = parseExpose(spec.expose ?? []);
  const logConfig = parseLogConfig(spec.logDriver, spec.logOpts ?? []);
  const restartPolicy = parseRestartPolicy(spec.restart);
  const healthFlags = spec.health ?? { none: false };
  resolveHealthcheck(healthFlags, undefined); // flag errors before the image is fetched
  if (restartPolicy.Name !== "no" && spec.autoRemove) {
    throw new UsageError("Conflicting options: --restart and --rm");
  }
  const usernsReq = parseUserns(spec.userns ?? { uidmap: [], gidmap: [] }, ctx.env.TSBOX_USERNS);
  if (usernsReq.mode === "host" && mountSpecs.some((m) => m.idmap)) {
    throw new UsageError("the idmap mount option needs a user namespace", {
      hint: "add --userns=auto or --uidmap",
    });
  }
  const nsModes = parseNamespaceFlags(spec.namespaces ?? {}, {
    hostname: spec.hostname,
    network: spec.network,
    shmSize: spec.shmSize,
  });
  const shmSize = parseShmSize(spec.shmSize);
  if (spec.macAddress !== undefined && netOpts.mode !== "bridge") {
    throw new UsageError("conflicting options: mac-address and the network mode");
  }
  if (spec.macAddress !== undefined) netOpts = { ...netOpts, mac: spec.macAddress };
  const security = containerSecurity(spec.security, {
    ownNetns: netOpts.mode !== "host" && netOpts.mode !== "container",
    cgroupV2: cgroups.version === 2,
  });
  const resources = {
    ...parseResourceFlags(spec.resources, hostInfo()),
    devices: security.linux.deviceRules,
  };
  if (ctx.rootless) {
    const asked = Object.keys(spec.resources);
    if (asked.length) {
      throw new UsageError(
        `rootless: --${asked[0]} needs a delegated cgroup v2 subtree, and this user has none`,
        { hint: "run without resource limits, or as root" },
      );
    }
    if (usernsReq.mode !== "host") {
      throw new UsageError("rootless: the container already runs in your user namespace", {
        hint: "drop --userns/--uidmap",
      });
    }
  } else cgroups.validate(resources);
  checkNamespacedSysctls(nsModes, security.linux.sysctl);
  // the donors of container: modes exist (by id from now on, as docker stores them)
  const namespaceModes = resolveDonors(ctx.paths, nsModes);
  const netDonor = netOpts.mode === "container"
    ? findDonor(ctx.paths, netOpts.network.slice("container:".length))
    : undefined;
  if (netDonor) netOpts = { ...netOpts, network: `container:${netDonor.config.id}` };
  // compiles (and caches) the filter now: a profile libseccomp refuses fails before anything exists
  if (security.linux.seccomp) await cachedSeccomp(ctx.paths, security.linux.seccomp);

  // 2. the image
  const image = await resolveImage(ctx, spec.image, opts);
  const exposed = exposedPorts(image.config.ExposedPorts, expose, netOpts.ports);
  const healthcheck = resolveHealthcheck(
    healthFlags,
    image.config.Healthcheck as Healthcheck | undefined,
  );
  if (spec.publishAll && (netOpts.mode === "bridge" || netOpts.mode === "slirp4netns")) {
    // -P: every exposed port not already published gets a random host port
    const taken = new Set(netOpts.ports.map((p) => `${p.containerPort}/${p.protocol}`));
    const extra = exposed.filter((e) => !taken.has(e) && /\/(tcp|udp)$/.test(e));
    const ports = parseNetworkFlags({
      network: spec.network,
      publish: [...spec.publish, ...extra],
      dns: spec.dns,
      addHost: spec.addHost,
      rootless: ctx.rootless,
    }).ports;
    netOpts = { ...netOpts, ports };
  }
  assertLayersPresent(image.ref, image.layerDirs);
  const built = buildProcess(spec, image.config);
  const withGroups = spec.groupAdd?.length ? { ...built, groupAdd: spec.groupAdd } : built;
  const process = spec.init ? withInit(withGroups) : withGroups;
  const specs = withImageVolumes(mountSpecs, Object.keys(image.config.Volumes ?? {}));
  await prepareNetwork(ctx.paths, netOpts);

  // 3. id, dirs, volumes and record, built under a staging name that carries this process
  // (a prune removes a staging dir only once its creator is gone) and made visible by one
  // rename: a kill leaves no half container. Only the name's choice (and user-namespace ids)
  // and the rename are made under the names lock, which every create takes in turn
  const id = newId();
  const dir = containerDir(ctx.paths, id);
  const staging = join(ctx.paths.containers, stagingName(id));
  const config: ContainerConfig = {
    id,
    name: "", // chosen under the lock
    created: new Date().toISOString(),
    spec,
    image: { ref: image.ref, id: image.id, layerDirs: image.layerDirs },
    process,
    hostname: spec.hostname ??
      (netDonor
        ? netDonor.config.hostname
        : netOpts.mode === "host" || namespaceModes.uts === "host"
        ? Deno.hostname()
        : id.slice(0, 12)),
    mounts: [], // prepared below, once the staging dir exists
    resources,
    network: { opts: netOpts } satisfies NetworkRecord,
    stopSignal: spec.stopSignal ?? image.config.StopSignal,
    ...(spec.stopTimeout !== undefined ? { stopTimeout: spec.stopTimeout } : {}),
    labels: { ...(image.config.Labels ?? {}), ...(spec.labels ?? {}) },
    ...(exposed.length ? { exposedPorts: exposed } : {}),
    logConfig,
    ...(restartPolicy.Name !== "no" ? { restartPolicy } : {}),
    ...(healthcheck ? { healthcheck } : {}),
    ...(spec.init ? { init: true } : {}),
    security,
    namespaceModes,
    ...(shmSize !== undefined ? { shmSize } : {}),
  };
  try {
    Deno.mkdirSync(ctx.paths.containers, { recursive: true, mode: 0o700 });
    Deno.mkdirSync(staging, { mode: 0o700 });
    for (const d of ["upper", "work", "merged"]) {
      Deno.mkdirSync(join(staging, d));
      // the overlay root takes upper's mode: 0755 as in images, or non-root users cannot traverse /
      Deno.chmodSync(join(staging, d), 0o755);
    }
    config.mounts = prepareMounts(ctx.paths, id, specs);
    writeJsonAtomic(join(staging, "state.json"), { status: "created", pid: 0 });
    // the OCI bundle, as start will run it (a user namespace's maps come with its ids)
    const bundle = () => writeBundleConfig(staging, bundleSpec(dir, config));
    if (usernsReq.mode === "host") bundle();
    await withLock(namesLock(ctx.paths), () => {
      // one scan of the records: the names in use, and the user-namespace ids only when
      // this container wants some (the whole records then)
      const existing = usernsReq.mode === "host" ? undefined : listContainers(ctx.paths);
      const names = existing?.map((c) => c.config) ?? containerNames(ctx.paths);
      const taken = new Set(names.map((c) => c.name));
      if (spec.name !== undefined && taken.has(spec.name)) {
        const other = names.find((c) => c.name === spec.name)!;
        throw new TsboxError(
          `Conflict. The container name "/${spec.name}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
      config.name = spec.name ?? generateName(taken);
      const userns = existing && resolveUserns(usernsReq, usedIds(existing), () => tsboxRanges());
      if (userns) {
        config.userns = userns;
        ownForUserns(ctx.paths, staging, image.layerDirs.length, config.mounts, userns);
      }
      if (existing) bundle();
      writeCompactJsonAtomic(join(staging, RECORD_FILE), config);
      Deno.renameSync(staging, dir);
    });
  } catch (err) {
    removeAnonymousVolumes(ctx.paths, config.mounts, id);
    safeRemoveTree(ctx.kernel, staging);
    throw err;
  }
  recordEvent(ctx.paths, "create", config);
  return config;
}

/** Host ids held by the user namespaces of `existing` containers (read under the names lock). */
function usedIds(existing: ContainerRecord[]): { uid: IdRange[]; gid: IdRange[] } {
  const recs = existing.map((c) => c.config.userns).filter((u) => u !== undefined);
  return {
    uid: recs.flatMap((u) => hostRanges(u.uidMappings)),
    gid: recs.flatMap((u) => hostRanges(u.gidMappings)),
  };
}

/** The lock every create holds while it chooses its name and makes itself visible. */
function namesLock(paths: Paths): string {
  return join(paths.locks, "names.lock");
}

/**
 * Delete staging directories of creates that were killed: one whose
 * creator (named in it) is gone, or an older tsbox's (which held the names
 * lock while its staging dir existed, as this does). No create in progress
 * is touched; never deletes through a mount.
 * @returns how many were deleted.
 */
export async function sweepStaging(ctx: CliContext): Promise<number> {
  return await withLock(namesLock(ctx.paths), () => {
    let n = 0;
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(ctx.paths.containers)];
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return 0; // no container was ever created
      throw err;
    }
    for (const e of entries) {
      if (!e.isDirectory || !e.name.startsWith(STAGING_PREFIX)) continue;
      const owner = stagingOwner(e.name);
      if (owner && ownerAlive(owner)) continue; // a create building it
      safeRemoveTree(ctx.kernel, join(ctx.paths.containers, e.name));
      n++;
    }
    return n;
  });
}
