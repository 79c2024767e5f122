/**
 * At each start: the namespaces a container shares, as paths for the OCI
 * spec (`linux.namespaces[].path`). A donor's namespace is opened here,
 * while its PID 1 is verified to be the recorded process (pid + start
 * time, checked again after the open so a recycled pid cannot slip in),
 * and handed on as `/proc/<our pid>/fd/N`: the init opens that, and gets
 * the very namespace checked, however long it takes to get there. An IPC
 * donor's mount namespace is held the same way: the init clones the
 * donor's /dev/shm from it (lib/init/donor_shm.ts), as docker shares it.
 * @module
 */

import type { Paths } from "../paths.ts";
import type { Spec } from "../oci/spec.ts";
import type { InitSpec } from "./init_spec.ts";
import { TsboxError } from "../errors.ts";
import { openNsFd } from "../../ffi/ns.ts";
import { closeFd } from "../../ffi/fds.ts";
import { type ContainerConfig, type ContainerRecord, readContainer } from "./store.ts";
import { DEFAULT_MODES, donorOf } from "./namespace_modes.ts";
import { type LiveState, liveView } from "./live.ts";
import { isSameProcess } from "./proc.ts";

/** One namespace: undefined = a new one, null = the host's (none made), a path = joined. */
export type NamespaceJoin = string | null | undefined;

/** What a start joins. `close()` releases the donors' namespace fds (after the init opened them). */
export interface Joins {
  pid: NamespaceJoin;
  ipc: NamespaceJoin;
  uts: NamespaceJoin;
  net: NamespaceJoin;
  /** The network donor's record: its hosts, resolv.conf and hostname files are shared. */
  netDonor?: ContainerRecord;
  /** The IPC donor's /dev/shm: where the host sees it (the spec's bind source), its mount namespace. */
  shm?: { source: string; mntns: string };
  close(): void;
}

const WHAT: Record<string, string> = { pid: "PID", ipc: "IPC", uts: "UTS", net: "network" };

/** docker's refusal of a donor that is not running (moby's getPIDContainer/getIPCContainer). */
function notRunning(kind: string, id: string): TsboxError {
  if (kind === "net") {
    return new TsboxError(`cannot join ${WHAT[kind]} of a non running container: ${id}`);
  }
  return new TsboxError(`failed to join ${WHAT[kind]} namespace: container ${id} is not running`);
}

/**
 * Open what `config` joins. Host modes give null.
 * @throws {TsboxError} a donor is gone or not running (docker's wording, exit 125).
 */
export function openJoins(paths: Paths, config: ContainerConfig): Joins {
  const modes = config.namespaceModes ?? DEFAULT_MODES;
  const net = config.network as { opts?: { mode?: string; network?: string } } | undefined;
  const netMode = net?.opts?.mode === "container"
    ? net.opts.network ?? ""
    : net?.opts?.mode === "host"
    ? "host"
    : "";
  const fds: number[] = [];
  const donors: Record<string, ContainerRecord> = {};
  let shm: Joins["shm"];
  const one = (kind: "pid" | "ipc" | "uts" | "net", mode: string): NamespaceJoin => {
    if (mode === "host") return null;
    const id = donorOf(mode);
    if (id === undefined) return undefined;
    const rec = readContainer(paths, id);
    if (!rec) throw new TsboxError(`No such container: ${id} (to join its ${WHAT[kind]})`);
    const view = liveView(rec);
    if (!view.running) throw notRunning(kind, id);
    const fd = openNsFd(`/proc/${view.pid}/ns/${kind}`);
    fds.push(fd);
    // its /dev/shm lives in its mount namespace only: held for the init to clone it from
    const mnt = kind === "ipc" ? openNsFd(`/proc/${view.pid}/ns/mnt`) : undefined;
    if (mnt !== undefined) fds.push(mnt);
    if (!isSameProcess(view.pid, (rec.state as LiveState).pidStartTime)) {
      throw notRunning(kind, id);
    }
    if (mnt !== undefined) {
      shm = { source: `/proc/${view.pid}/root/dev/shm`, mntns: `/proc/${Deno.pid}/fd/${mnt}` };
    }
    donors[kind] = rec;
    return `/proc/${Deno.pid}/fd/${fd}`;
  };
  const close = () => {
    for (const fd of fds.splice(0)) closeFd(fd);
  };
  try {
    return {
      pid: one("pid", modes.pid),
      ipc: one("ipc", modes.ipc),
      uts: one("uts", modes.uts),
      // a host network keeps its own (tsbox's) handling: netns null in the spec
      net: netMode === "host" ? null : one("net", netMode),
      netDonor: donors.net,
      shm,
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}

/**
 * The init's `donorShm` for a start with `joins`: the index of the spec's
 * bind of the IPC donor's /dev/shm (none without an IPC donor). Pure.
 */
export function donorShmOf(spec: Spec, joins: Joins | undefined): Pick<InitSpec, "donorShm"> {
  const shm = joins?.shm;
  if (!shm) return {};
  const index = (spec.mounts ?? []).findIndex((m) =>
    m.destination === "/dev/shm" && m.type === "bind" && m.source === shm.source
  );
  return index < 0 ? {} : { donorShm: { index, mntns: shm.mntns } };
}

/** True when the container's processes are not alone in a PID namespace of their own. */
export function sharesPidNamespace(config: ContainerConfig): boolean {
  return (config.namespaceModes ?? DEFAULT_MODES).pid !== "";
}
