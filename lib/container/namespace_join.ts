/**
 * At each start: the namespaces a container shares, as paths for the OCI
 * spec (`linux.namespaces[].path`). A donor's namespace is opened here,
 * while its PID 1 is verified to be the recorded process (pid + start
 * time, checked again after the open so a recycled pid cannot slip in),
 * and handed on as `/proc/<our pid>/fd/N`: the init opens that, and gets
 * the very namespace checked, however long it takes to get there.
 * @module
 */

import type { Paths } from "../paths.ts";
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
  close(): void;
}

const WHAT: Record<string, string> = { pid: "PID", ipc: "IPC", uts: "UTS", net: "network" };

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
  const one = (kind: "pid" | "ipc" | "uts" | "net", mode: string): NamespaceJoin => {
    if (mode === "host") return null;
    const id = donorOf(mode);
    if (id === undefined) return undefined;
    const rec = readContainer(paths, id);
    if (!rec) throw new TsboxError(`No such container: ${id} (to join its ${WHAT[kind]})`);
    const view = liveView(rec);
    if (!view.running) {
      throw new TsboxError(`cannot join ${WHAT[kind]} of a non running container: ${id}`);
    }
    const fd = openNsFd(`/proc/${view.pid}/ns/${kind}`);
    fds.push(fd);
    if (!isSameProcess(view.pid, (rec.state as LiveState).pidStartTime)) {
      throw new TsboxError(`cannot join ${WHAT[kind]} of a non running container: ${id}`);
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
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}

/** True when the container's processes are not alone in a PID namespace of their own. */
export function sharesPidNamespace(config: ContainerConfig): boolean {
  return (config.namespaceModes ?? DEFAULT_MODES).pid !== "";
}
