/** `--device HOST[:CTR][:PERMS]` as docker's inspect shows it. */
function deviceView(d: string) {
  const parts = d.split(":");
  const perms = parts.length > 1 && /^[rwm]+$/.test(parts[parts.length - 1]) ? parts.pop()! : "rwm";
  return { PathOnHost: parts[0], PathInContainer: parts[1] ?? parts[0], CgroupPermissions: perms };
}

/**
 * `inspect`: the docker-shaped JSON of a container (ContainerJSON), built
 * from container.json, the live state and the image config. Only reads.
 * @module
 */

import { readJsonIfExists } from "../fsutil.ts";
import { join } from "../posix_path.ts";
import { DEFAULT_MODES } from "./namespace_modes.ts";
import { DEFAULT_SHM_SIZE } from "../specgen/namespaces.ts";
import type { Paths } from "../paths.ts";
import { ImageError } from "../errors.ts";
import { ImageStore } from "../image/store.ts";
import type { ImageConfig } from "../image/types.ts";
import type { ResourceLimits } from "../cgroup/mod.ts";
import type { PreparedMount } from "../../volumes/types.ts";
import type { ContainerRecord } from "./store.ts";
import type { NetworkRecord } from "./create.ts";
import type { NetworkAttachment } from "../net/types.ts";
import { attachmentTo, endpointsOf, liveAttachments } from "../net/endpoints.ts";
import { type LiveState, liveView } from "./live.ts";
import { logPath } from "./log_file.ts";
import { k8sLogPath } from "./k8s_log.ts";
import { exists } from "../fsutil.ts";
import { NO_RESTART } from "./restart_policy.ts";
import { readRestartState } from "./restart_state.ts";
import { healthIn, STARTING } from "./health_state.ts";
import { isPaused } from "./pause.ts";
import { userArgs } from "./init_process.ts";
import { bundleConfigPath } from "./bundle.ts";

/** Go's zero time, which docker prints for "never". */
export const ZERO_TIME = "0001-01-01T00:00:00Z";

function imageConfig(paths: Paths, id: string): ImageConfig {
  try {
    return new ImageStore(paths).configOf(id).config ?? {};
  } catch (err) {
    // the image was force-removed: show what the container itself knows
    if (err instanceof ImageError) return {};
    throw err;
  }
}

function portKey(p: { containerPort: number; protocol: string }): string {
  return `${p.containerPort}/${p.protocol}`;
}

/** `-p` mappings keyed `80/tcp`; `bound`: as set up (docker shows 0.0.0.0 for "all"). */
function portMap(
  ports: { hostIP: string; hostPort: number; containerPort: number; protocol: string }[],
  bound = false,
): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ports) {
    (out[portKey(p)] ??= []).push({
      HostIp: bound ? p.hostIP || "0.0.0.0" : p.hostIP,
      HostPort: p.hostPort ? String(p.hostPort) : "",
    });
  }
  return out;
}

function mountJson(m: PreparedMount) {
  return {
    Type: m.type,
    ...(m.volume ? { Name: m.volume.name } : {}),
    Source: m.type === "tmpfs" ? "" : m.source,
    Destination: m.target,
    ...(m.volume ? { Driver: "local" } : {}),
    Mode: m.type === "volume" ? "z" : "",
    RW: !m.readOnly,
    Propagation: m.type === "bind" ? m.propagation : "",
  };
}

/** HostConfig's PidMode, IpcMode, UTSMode, ShmSize and GroupAdd, as docker shows them. */
function namespaceView(c: ContainerRecord["config"]): Record<string, unknown> {
  const m = c.namespaceModes ?? DEFAULT_MODES;
  return {
    PidMode: m.pid,
    IpcMode: m.ipc,
    UTSMode: m.uts,
    ShmSize: c.shmSize ?? DEFAULT_SHM_SIZE,
    GroupAdd: c.process.groupAdd ?? null,
  };
}

/** An endpoint's addresses as docker shows them (empty while not attached). */
function endpointView(att: NetworkAttachment | undefined) {
  return {
    IPAddress: att?.ip ?? "",
    IPPrefixLen: att?.prefixLen ?? 0,
    Gateway: att?.gateway ?? "",
    MacAddress: att?.mac ?? "",
  };
}

/** The inspect object of one container. */
export function inspectContainer(paths: Paths, rec: ContainerRecord): Record<string, unknown> {
  const c = rec.config;
  const v = liveView(rec);
  const img = imageConfig(paths, c.image.id);
  const net =
    (c.network ?? { opts: { mode: "none", network: "none", ports: [] } }) as NetworkRecord;
  const att = v.running ? net.attachment ?? liveAttachments(net)[0] : undefined;
  const netName = net.opts.mode === "bridge" || net.opts.mode === "container"
    ? net.opts.network
    : net.opts.mode;
  const r = (c.resources ?? {}) as ResourceLimits;
  const spec = c.spec;
  const entrypoint = spec.entrypoint !== undefined
    ? (spec.entrypoint === "" ? null : [spec.entrypoint])
    : img.Entrypoint ?? null;
  const cmd = spec.cmd.length ? spec.cmd : spec.entrypoint !== undefined ? null : img.Cmd ?? null;
  // under conmon the log is its k8s-file (the same rotation options)
  const conmon = (rec.state as LiveState).supervisor === "conmon";
  const log = conmon ? k8sLogPath(paths, c.id) : logPath(paths, c.id);
  const logConfig = c.logConfig ?? { Type: "json-file", Config: {} };
  const restarts = readRestartState(paths, c.id);
  const paused = v.running && isPaused(rec);
  const endpoint = endpointView(att);
  return {
    Id: c.id,
    Created: c.created,
    Path: userArgs(c.process.args, c.init)[0] ?? "",
    Args: userArgs(c.process.args, c.init).slice(1),
    State: {
      Status: paused ? "paused" : v.status,
      Running: v.running,
      Paused: paused,
      Restarting: restarts.restarting && v.starting,
      OOMKilled: v.oomKilled,
      Dead: false,
      Pid: v.pid,
      ExitCode: v.exitCode,
      Error: v.error,
      StartedAt: v.startedAt ?? ZERO_TIME,
      FinishedAt: v.running ? ZERO_TIME : v.finishedAt ?? ZERO_TIME,
      ...(c.healthcheck ? { Health: healthIn(rec.dir) ?? STARTING } : {}),
    },
    Image: c.image.id,
    ResolvConfPath: join(rec.dir, "resolv.conf"),
    HostnamePath: join(rec.dir, "hostname"),
    HostsPath: join(rec.dir, "hosts"),
    LogPath: exists(log) ? log : "",
    // podman's fields: the bundle's OCI spec (absent for a container of an older tsbox) and its runtime
    OCIConfigPath: exists(bundleConfigPath(rec.dir)) ? bundleConfigPath(rec.dir) : "",
    // the OCI runtime spec the container runs with (issue 11: inspect explains a container)
    OCISpec: readJsonIfExists(bundleConfigPath(rec.dir)) ?? null,
    OCIRuntime: "tsbox",
    Name: `/${c.name}`,
    RestartCount: restarts.restartCount,
    Driver: "overlay2",
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    ExecIDs: null,
    HostConfig: {
      Binds: spec.volumes.length ? spec.volumes : null,
      VolumesFrom: spec.volumesFrom?.length ? spec.volumesFrom : null,
      LogConfig: conmon && logConfig.Type !== "none"
        ? { ...logConfig, Type: "k8s-file" }
        : logConfig,
      NetworkMode: netName,
      ...namespaceView(c),
      PortBindings: portMap(net.opts.ports ?? []),
      RestartPolicy: c.restartPolicy ?? NO_RESTART,
      AutoRemove: spec.autoRemove,
      Init: c.init ?? null,
      Dns: net.opts.dns ?? [],
      ExtraHosts: (net.opts.extraHosts ?? []).map((h) => `${h.name}:${h.ip}`),
      Privileged: c.security.privileged,
      CapAdd: c.security.capAdd.length ? c.security.capAdd : null,
      CapDrop: c.security.capDrop.length ? c.security.capDrop : null,
      SecurityOpt: c.security.securityOpt.length ? c.security.securityOpt : null,
      ReadonlyRootfs: c.security.readonlyRootfs,
      CgroupnsMode: c.security.cgroupns,
      UsernsMode: c.userns ? (c.spec.userns?.userns || c.userns.mode) : "",
      // podman's field; Layers says how the image is shown remapped (idmapped mounts)
      IDMappings: c.userns
        ? {
          UidMap: c.userns.uidMappings.map((m) => `${m.containerID}:${m.hostID}:${m.size}`),
          GidMap: c.userns.gidMappings.map((m) => `${m.containerID}:${m.hostID}:${m.size}`),
          Layers: c.userns.layers ?? "idmapped",
        }
        : null,
      Ulimits: c.security.process.rlimits.length
        ? c.security.process.rlimits.map((l) => ({
          Name: l.type.replace(/^RLIMIT_/, "").toLowerCase(),
          Soft: l.soft,
          Hard: l.hard,
        }))
        : null,
      Sysctls: Object.keys(c.security.linux.sysctl).length ? c.security.linux.sysctl : null,
      OomScoreAdj: c.security.process.oomScoreAdj ?? 0,
      Devices: (c.spec.security?.devices ?? []).map(deviceView),
      Tmpfs: spec.tmpfs.length ? spec.tmpfs : null,
      Memory: r.memory ?? 0,
      MemorySwap: r.memorySwap ?? 0,
      MemoryReservation: r.memoryReservation ?? 0,
      NanoCpus: r.cpus ? Math.round(r.cpus * 1e9) : 0,
      CpuShares: r.cpuShares ?? 0,
      CpuPeriod: r.cpus ? 0 : r.cpuPeriod ?? 0,
      CpuQuota: r.cpus ? 0 : r.cpuQuota ?? 0,
      CpusetCpus: r.cpusetCpus ?? "",
      CpusetMems: r.cpusetMems ?? "",
      PidsLimit: r.pidsLimit ?? null,
    },
    GraphDriver: {
      Name: "overlay2",
      Data: {
        LowerDir: [...c.image.layerDirs].reverse().join(":"),
        UpperDir: join(rec.dir, "upper"),
        WorkDir: join(rec.dir, "work"),
        MergedDir: join(rec.dir, "merged"),
      },
    },
    Mounts: (c.mounts as PreparedMount[]).map(mountJson),
    Config: {
      Hostname: c.hostname,
      Domainname: "",
      User: spec.user ?? img.User ?? "",
      AttachStdin: spec.interactive && !spec.detach,
      AttachStdout: !spec.detach,
      AttachStderr: !spec.detach,
      ExposedPorts: c.exposedPorts
        ? Object.fromEntries(c.exposedPorts.map((k) => [k, {}]))
        : img.ExposedPorts ?? undefined,
      Tty: spec.tty,
      OpenStdin: spec.interactive,
      StdinOnce: spec.interactive && !spec.detach,
      Env: c.process.env,
      Cmd: cmd,
      Image: spec.image,
      Volumes: img.Volumes ?? null,
      WorkingDir: spec.workdir ?? img.WorkingDir ?? "",
      Entrypoint: entrypoint,
      Labels: c.labels ?? img.Labels ?? {},
      ...(c.stopSignal ? { StopSignal: c.stopSignal } : {}),
      ...(c.stopTimeout !== undefined ? { StopTimeout: c.stopTimeout } : {}),
      ...(c.healthcheck ? { Healthcheck: c.healthcheck } : {}),
    },
    NetworkSettings: {
      Bridge: "",
      SandboxKey: att?.netnsPath ?? "",
      Ports: att ? portMap(att.ports, true) : {},
      ...endpoint,
      Networks: net.opts.mode === "container"
        ? {}
        : net.opts.mode === "none" || net.opts.mode === "host"
        ? { [netName]: endpointView(undefined) }
        : Object.fromEntries(
          endpointsOf(net).map((ep) => [ep.network, {
            IPAMConfig: ep.ip ? { IPv4Address: ep.ip } : null,
            Aliases: ep.aliases?.length ? ep.aliases : null,
            ...endpointView(v.running ? attachmentTo(net, ep.network) : undefined),
          }]),
        ),
    },
  };
}
