/**
 * docker's `--pid`, `--ipc`, `--uts` and `--network container:NAME`: which
 * namespaces a container shares with the host or with another container.
 * Parsed and checked (pure) before anything is created; the donor of a
 * `container:NAME` mode is resolved to its id at create time, as docker
 * stores it (`container:<id>`), and joined at every start
 * (namespace_join.ts).
 * @module
 */

import type { Paths } from "../paths.ts";
import { TsboxError, UsageError } from "../errors.ts";
import { findContainer, NoSuchContainer } from "./lookup.ts";
import type { ContainerRecord } from "./store.ts";

/** The modes as stored in the record, in docker's spelling (`HostConfig.PidMode` …). */
export interface NamespaceModes {
  /** `""` (own namespace), `host`, `container:<id>`. */
  pid: string;
  /** `private` (default), `shareable`, `none`, `host`, `container:<id>`. */
  ipc: string;
  /** `""` (own namespace) or `host`. */
  uts: string;
}

/** The raw `--pid` / `--ipc` / `--uts` values. */
export interface NamespaceFlags {
  pid?: string;
  ipc?: string;
  uts?: string;
}

/** The modes of a record written before these flags existed: docker's defaults. */
export const DEFAULT_MODES: NamespaceModes = { pid: "", ipc: "private", uts: "" };

const IPC_MODES = new Set(["", "private", "shareable", "none", "host"]);

/** The donor named by `container:NAME`, or undefined for any other mode. */
export function donorOf(mode: string): string | undefined {
  return mode.startsWith("container:") ? mode.slice("container:".length) : undefined;
}

/**
 * Validate the flags (pure): docker's modes and its conflicts with
 * `--hostname` (`--uts host`, `--network container:`); `--shm-size` with
 * `--ipc container:` is refused too (the donor's /dev/shm is shared, with
 * its size; docker ignores the flag there, podman refuses it).
 * @throws {UsageError} an unknown mode, an empty donor name, a conflict.
 */
export function parseNamespaceFlags(
  f: NamespaceFlags,
  opts: { hostname?: string; network: string; shmSize?: string },
): NamespaceModes {
  const pid = f.pid ?? "";
  if (pid !== "" && pid !== "host" && donorOf(pid) === undefined) {
    throw new UsageError(`invalid PID mode: ${pid}`, {
      hint: "--pid host or --pid container:NAME",
    });
  }
  const ipc = f.ipc ?? "";
  if (!IPC_MODES.has(ipc) && donorOf(ipc) === undefined) {
    throw new UsageError(`invalid IPC mode: ${ipc}`, {
      hint: "--ipc private|shareable|none|host or --ipc container:NAME",
    });
  }
  const uts = f.uts ?? "";
  if (uts !== "" && uts !== "host") {
    throw new UsageError(`invalid UTS mode: ${uts}`, { hint: "--uts host" });
  }
  if (uts === "host" && opts.hostname !== undefined) {
    throw new UsageError("conflicting options: hostname and the UTS mode");
  }
  if (donorOf(opts.network) !== undefined && opts.hostname !== undefined) {
    throw new UsageError("conflicting options: hostname and the network mode");
  }
  for (const m of [pid, ipc, opts.network]) {
    if (m === "container:") throw new UsageError(`invalid mode ${m}: a container name is needed`);
  }
  if (donorOf(ipc) !== undefined && opts.shmSize !== undefined) {
    throw new UsageError("conflicting options: shm-size and the container type IPC mode");
  }
  return { pid, ipc: ipc === "" ? "private" : ipc, uts };
}

/**
 * The donor container `ref` of a `container:` mode, at create.
 * @throws {TsboxError} it does not exist (exit 125 in run/create, docker's wording).
 */
export function findDonor(paths: Paths, ref: string): ContainerRecord {
  try {
    return findContainer(paths, ref);
  } catch (err) {
    if (err instanceof NoSuchContainer) throw new TsboxError(err.message, { cause: err });
    throw err;
  }
}

/**
 * The modes with each donor name replaced by its full id; an IPC donor
 * must be shareable (or on the host's), as docker requires.
 * @throws {TsboxError} no such donor, a private IPC donor.
 */
export function resolveDonors(paths: Paths, m: NamespaceModes): NamespaceModes {
  const byId = (mode: string, check?: (r: ContainerRecord) => void) => {
    const ref = donorOf(mode);
    if (ref === undefined) return mode;
    const rec = findDonor(paths, ref);
    check?.(rec);
    return `container:${rec.config.id}`;
  };
  return {
    pid: byId(m.pid, refuseTracingDonor),
    ipc: byId(m.ipc, (rec) => {
      const donorIpc = (rec.config.namespaceModes ?? DEFAULT_MODES).ipc;
      if (donorIpc !== "shareable" && donorIpc !== "host") {
        throw new TsboxError(
          `joining IPC of container ${rec.config.id}: non-shareable IPC (hint: use --ipc shareable for the donor container)`,
        );
      }
    }),
    uts: m.uts,
  };
}

/**
 * The init is spawned into a PID donor's namespace while it still holds
 * host mounts (until its pivot_root) and, for an instant, is dumpable: a
 * donor process with CAP_SYS_PTRACE could trace it there (without it, the
 * kernel's capability-subset check refuses) and so reach the host. An
 * unprivileged donor with that capability is refused — stricter than
 * docker, which allows it. A `--privileged` donor is not: it holds every
 * capability without seccomp or masks already, so tracing the init would
 * give it nothing it lacks (as docker, which allows it).
 * @throws {TsboxError} the donor has CAP_SYS_PTRACE without being privileged.
 */
function refuseTracingDonor(rec: ContainerRecord): void {
  const caps = rec.config.security.process.capabilities;
  const all = [...(caps.bounding ?? []), ...(caps.permitted ?? []), ...(caps.effective ?? [])];
  if (!rec.config.security.privileged && all.includes("CAP_SYS_PTRACE")) {
    throw new TsboxError(
      `joining the PID namespace of container ${
        rec.config.id.slice(0, 12)
      } is refused: it has CAP_SYS_PTRACE without --privileged, so it could trace tsbox's init while that still holds the host's mounts`,
    );
  }
}

/** IPC sysctls change the namespace they are written in: refused where that is the host's. */
export function checkNamespacedSysctls(m: NamespaceModes, sysctl: Record<string, string>): void {
  for (const key of Object.keys(sysctl)) {
    const ipcKey = /^kernel\.(msg|sem|shm)/.test(key) || key.startsWith("fs.mqueue.");
    if (ipcKey && m.ipc === "host") {
      throw new UsageError(`sysctl "${key}" is not allowed in the host's IPC namespace`);
    }
    if (key === "kernel.domainname" && m.uts === "host") {
      throw new UsageError(`sysctl "${key}" is not allowed in the host's UTS namespace`);
    }
  }
}
