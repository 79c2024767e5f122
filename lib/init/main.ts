/**
 * The container init: tsbox re-executed (hidden `__init`) as PID 1 of the
 * new PID namespace. Reads its spec from the init socket, builds the
 * container top to bottom, waits for the parent's "go" (cgroup joined,
 * network ready) and execve()s the command, which then is PID 1.
 *
 * Everything here is synchronous: after unshare() only this thread is in
 * the new namespaces; async ops would run on threads with the host's view.
 * @module
 */

import type { Command } from "../cli/context.ts";
import {
  decodeMsg,
  encodeMsg,
  type FromInit,
  INIT_FD_ENV,
  type InitSpec,
  type ToInit,
} from "../container/init_spec.ts";
import { closeFd, recvFdSync, recvMsgSync, sendFd, sendMsg, writeAll } from "../../ffi/fds.ts";
import { bindNow } from "../../ffi/libc.ts";
import { O_PATH, openPath, openWriteOnly } from "../../ffi/openat.ts";
import { runHooksSync } from "../oci/hooks.ts";
import { TsboxError } from "../errors.ts";
import { runDirectly } from "./direct.ts";
import {
  CLONE_FS,
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWUTS,
  MNT_DETACH,
  MS_BIND,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
  MS_SHARED,
  MS_SLAVE,
  MS_UNBINDABLE,
} from "../../ffi/consts.ts";
import type { Kernel } from "../kernel.ts";
import { devPlan, maskPlan, rootPlan } from "./rootfs_plan.ts";
import { ociMountPlan, PROPAGATION } from "./oci_mounts.ts";
import type { LinuxNamespace } from "../oci/spec.ts";
import type { TargetKind } from "../../volumes/types.ts";
import { USER_ANNOTATION } from "../oci/annotations.ts";
import { GROUP_ADD_ANNOTATION } from "../oci/annotations.ts";
import { openNsFd } from "../../ffi/ns.ts";
import { applySteps } from "./apply_plan.ts";
import { applyMountPlan, realMountEnv } from "../../volumes/mount.ts";
import { interfaceUp } from "../../ffi/netif.ts";
import { resetSignalsForExec, setsid, umask } from "../../ffi/process.ts";
import { capLastCap } from "../../ffi/caps.ts";
import { dup2, openPty, openRdwr, setControllingTty } from "../../ffi/pty.ts";
import { hiddenEntry } from "./entry.ts";
import { resolveOciProcess } from "./process_setup.ts";
import { finalizeProcess } from "./process_tail.ts";
import { decodeSeccomp } from "../seccomp/encoded.ts";
import { trace } from "../trace.ts";
import { cloneDonorShm } from "./donor_shm.ts";

const SIGKILL = 9;

function send(fd: number, m: FromInit): void {
  sendMsg(fd, encodeMsg(m));
}

function recv(fd: number): ToInit | undefined {
  return decodeMsg<ToInit>(recvMsgSync(fd));
}

const NS_FLAGS: Record<string, number> = {
  ipc: CLONE_NEWIPC,
  uts: CLONE_NEWUTS,
  network: CLONE_NEWNET,
  mount: CLONE_NEWNS,
};

/** What setupNamespaces leaves for later. */
interface NamespaceResult {
  /** The container has a network namespace of its own making (lo goes up). */
  newNet: boolean;
  /** A cgroup namespace to join by path after the cgroup join. */
  cgroupFd?: number;
}

/**
 * Create or join the spec's namespaces (pid was made or joined by the
 * parent's spawn; cgroup comes after the cgroup join). A `path` is joined
 * with setns — ipc, uts, net, then mnt (which needs unshare(CLONE_FS)) —
 * the rest unshared. A mount namespace is always made when none is joined:
 * the rootfs mounts must never reach the host's.
 */
function setupNamespaces(kernel: Kernel, namespaces: LinuxNamespace[]): NamespaceResult {
  let unshare = 0;
  const join: [number, number][] = [];
  let cgroupFd: number | undefined;
  for (const ns of namespaces) {
    if (ns.type === "cgroup" && ns.path) cgroupFd = openNsFd(ns.path);
    const flag = NS_FLAGS[ns.type];
    if (flag === undefined) continue;
    if (ns.path) join.push([openNsFd(ns.path), flag]);
    else unshare |= flag;
  }
  const joinsMount = join.some(([, f]) => f === CLONE_NEWNS);
  if (!joinsMount) unshare |= CLONE_NEWNS;
  join.sort((a, b) => Number(a[1] === CLONE_NEWNS) - Number(b[1] === CLONE_NEWNS));
  try {
    for (const [fd, flag] of join) {
      if (flag === CLONE_NEWNS) kernel.unshare(CLONE_FS); // setns(mnt) refuses a shared fs struct
      kernel.setns(fd, flag);
    }
  } finally {
    for (const [fd] of join) closeFd(fd);
  }
  kernel.unshare(unshare);
  return { newNet: (unshare & CLONE_NEWNET) !== 0, cgroupFd };
}

/** Whether a bind source is a file (gets a file target) or a directory. */
function sourceKind(path: string): TargetKind {
  try {
    return Deno.statSync(path).isDirectory ? "dir" : "file";
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "dir"; // the mount itself will report it
    throw err;
  }
}

/**
 * Build the container's filesystem and switch into it (bubblewrap-style timeline).
 * `beforePivot` runs with every mount in place (createContainer hooks).
 */
function setupFilesystem(
  kernel: Kernel,
  init: InitSpec,
  idmapped: IdmappedFds,
  beforePivot: () => void,
): void {
  const spec = init.spec;
  const lin = spec.linux ?? {};
  const rootfs = spec.root!.path;
  const propagation = lin.rootfsPropagation ? PROPAGATION[lin.rootfsPropagation] : undefined;
  if (lin.rootfsPropagation && propagation === undefined) {
    throw new TsboxError(`invalid linux.rootfsPropagation "${lin.rootfsPropagation}"`);
  }
  const shm = init.donorShm && spec.mounts?.[init.donorShm.index];
  const inp = {
    rootfs,
    overlay: init.overlay,
    // runc: a shared (or unbindable) root starts as a slave of the host's — the rootfs must
    // still be bound onto itself — and gets its mode after pivot_root
    propagation: propagation && (propagation & (MS_SHARED | MS_UNBINDABLE))
      ? MS_REC | MS_SLAVE
      : propagation,
    devices: lin.devices ?? [],
    maskedPaths: lin.maskedPaths ?? [],
    readonlyPaths: lin.readonlyPaths ?? [],
    sysctl: lin.sysctl ?? {},
    lowerMounts: idmapped.lowers,
    bindDevices: init.userns || init.unprivileged,
  };
  applySteps(kernel, rootfs, rootPlan(inp));
  for (const fd of idmapped.lowers) if (fd !== undefined) closeFd(fd);
  const mounts = ociMountPlan(spec.mounts ?? [], {
    bundle: init.bundle,
    cgroupMounts: init.cgroupMounts,
    copyUps: init.copyUps,
    idmapped: idmapped.binds,
    // the donor's /dev/shm comes attached (a directory): its path is not looked at
    sourceKind: (path) => path === shm?.source ? "dir" : sourceKind(path),
  });
  const env = realMountEnv(kernel, rootfs);
  try {
    applyMountPlan(kernel, mounts, env);
  } finally {
    env.close();
  }
  for (const fd of idmapped.binds.values()) closeFd(fd);
  applySteps(kernel, rootfs, devPlan(inp));
  applySteps(kernel, rootfs, maskPlan(inp));
  beforePivot();
  // pivot_root(".", ".") stacks the old root under the new one; detach it at once
  kernel.chdir(rootfs);
  kernel.pivotRoot(".", ".");
  kernel.umount2(".", MNT_DETACH);
  kernel.chdir("/");
  if (propagation !== undefined) kernel.mount(null, "/", null, propagation, null);
  if (spec.root?.readonly) {
    // only the root mount: volumes, tmpfs and the /etc binds stay writable, as in docker
    kernel.mount(null, "/", null, MS_BIND | MS_REMOUNT | MS_RDONLY, null);
  }
}

/**
 * runc's exec.fifo: opening it for writing blocks until `start` opens it for
 * reading; one byte says "released". Through /proc/self/fd: the path is not
 * visible after pivot_root.
 */
function waitAtGate(gate: number): void {
  const w = openWriteOnly(`/proc/self/fd/${gate}`);
  try {
    writeAll(w, new Uint8Array([0x30]));
  } finally {
    closeFd(w);
    closeFd(gate);
  }
}

/** The parent's pid (field 4) from our host /proc stat file. */
function parentPid(stat: Deno.FsFile): number {
  const buf = new Uint8Array(1024);
  stat.seekSync(0, Deno.SeekMode.Start);
  const n = stat.readSync(buf) ?? 0;
  const text = new TextDecoder().decode(buf.subarray(0, n));
  // comm (field 2) may hold spaces and parens: fields after the last ')'
  return Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[1]);
}

/**
 * Wait (≤ 10 s) until `create` has exited and we are the supervisor's
 * child, then arm the parent-death signal and check the parent once more:
 * it is the supervisor, so its death now kills us. Closes `stat`.
 * @throws {TsboxError} reparented elsewhere (the supervisor died), or never.
 */
function awaitSupervisor(
  kernel: Kernel,
  stat: Deno.FsFile,
  sup: { pid: number; runtimePid: number },
): void {
  try {
    const first = parentPid(stat); // create, or the user namespace stage before it
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let waited = 0;; waited += 2) {
      const ppid = parentPid(stat);
      if (ppid === sup.pid) break;
      if ((ppid !== first && ppid !== sup.runtimePid) || waited > 10_000) {
        throw new TsboxError(`init: the container's supervisor (pid ${sup.pid}) is gone`);
      }
      Atomics.wait(pause, 0, 0, 2); // create is exiting: a few ms
    }
    kernel.setParentDeathSignal(SIGKILL);
    if (parentPid(stat) !== sup.pid) {
      throw new TsboxError(`init: the container's supervisor (pid ${sup.pid}) is gone`);
    }
  } finally {
    stat.close();
  }
}

/**
 * The init's half of the "userns" step: report our pid (in the host's
 * view: /proc is still the host's), take the idmapped layers, and once the
 * parent wrote the maps become the namespace's root — a change of
 * credentials, which clears the parent-death signal: arm it now.
 * @returns the idmapped mounts' fds.
 * @throws {TsboxError} the parent went away.
 */
function enterUserns(kernel: Kernel, fd: number, supervised: boolean): IdmappedFds {
  send(fd, { type: "userns", pid: Number(Deno.readLinkSync("/proc/self")) });
  const lowers: (number | undefined)[] = [];
  const binds = new Map<number, number>();
  for (;;) {
    const got = recvFdSync(fd);
    const msg = decodeMsg<ToInit>(got.data);
    // without an fd: a shifted copy already at the overlay's lower path (no idmapping here)
    if (msg?.type === "lower") lowers.push(got.fd >= 0 ? got.fd : undefined);
    else if (msg?.type === "idmapped" && got.fd >= 0) binds.set(msg.index, got.fd);
    else if (msg?.type === "userns-done") break;
    else throw new TsboxError("init: the parent did not complete the user namespace");
  }
  kernel.setCredentials(0, 0, [0]);
  kernel.setDumpable(false); // a change of credentials resets it
  if (supervised) kernel.setParentDeathSignal(SIGKILL);
  return { lowers, binds };
}

/** Idmapped mounts the parent made: image layers (BOTTOM first), `idmap` bind sources by index. */
interface IdmappedFds {
  lowers: (number | undefined)[];
  binds: Map<number, number>;
}

function runInit(kernel: Kernel, fd: number): never | number {
  // nothing in the container may ptrace us or open our /proc entries while we hold host state
  trace("init");
  kernel.setDumpable(false);
  const first = recv(fd);
  // EOF: the parent went away (or stopped an init it spawned ahead): nobody to tell
  if (first === undefined) return 125;
  if (first.type !== "spec") throw new TsboxError("init: no spec received from the parent");
  const init = first.spec;
  const spec = init.spec;
  const p = spec.process!;
  const namespaces = spec.linux?.namespaces ?? [];
  // tsbox run: the container dies with its supervisor (a SIGKILLed monitor or
  // foreground tsbox must not leave an unsupervised container); if the parent
  // is already gone, the next recv sees EOF. runc mode: create exits, we stay.
  // Behind the user namespace stage: armed once the stage has handed us over.
  if (init.supervised && !init.userns) kernel.setParentDeathSignal(SIGKILL);
  // the start gate lives in the runtime root: held now (before a user namespace makes
  // us an ordinary host uid), reopened after pivot_root
  const gate = init.startGate ? openPath(init.startGate, O_PATH) : undefined;
  // our stat in the host's /proc (mounted here until pivot_root): the parent's pid as the host sees it
  const parentStat = init.supervisor ? Deno.openSync("/proc/self/stat") : undefined;
  const idmapped = init.userns
    ? enterUserns(kernel, fd, init.supervised)
    : { lowers: [], binds: new Map() };

  // in the host's mount namespace still: the donor's /dev/shm is cloned from its own
  if (init.donorShm) {
    idmapped.binds.set(init.donorShm.index, cloneDonorShm(kernel, init.donorShm.mntns));
  }
  const { newNet, cgroupFd } = setupNamespaces(kernel, namespaces);
  trace("init: namespaces");
  send(fd, { type: "ns" });
  let state = "{}";
  if (init.holdAfterNs) {
    const done = recv(fd);
    if (done?.type !== "ns-done") return 125; // the runtime went away or a hook failed
    state = done.state;
  }

  setupFilesystem(
    kernel,
    init,
    idmapped,
    () => runHooksSync(kernel, "createContainer", spec.hooks?.createContainer, state),
  );
  trace("init: root");
  if (spec.hostname !== undefined) kernel.sethostname(spec.hostname);
  if (newNet) interfaceUp("lo");

  const groupAdd = spec.annotations?.[GROUP_ADD_ANNOTATION]?.split(",").filter(Boolean);
  const proc = resolveOciProcess(p, spec.annotations?.[USER_ANNOTATION], groupAdd);
  Deno.mkdirSync(p.cwd, { recursive: true, mode: 0o755 });

  let slavePath: string | undefined;
  if (p.terminal) {
    const pty = openPty("/dev/ptmx");
    slavePath = pty.slavePath;
    sendFd(fd, pty.master, encodeMsg({ type: "ready", pty: true }));
  } else send(fd, { type: "ready", pty: false });

  trace("init: ready");
  // what the process tail binds (glibc's credential calls and setrlimit are not raw
  // syscalls), while the parent joins the rest of the cgroup, not after its "go"
  bindNow("setgroups", "setgid", "setuid");
  if (p.rlimits?.length) bindNow("setrlimit");
  const go = recv(fd);
  if (go?.type !== "go") return 125; // parent went away or refused: do not start the command
  // the parent has put us in the container's cgroup: that becomes the namespace's root
  // (before the start gate, as runc: a created container already has its cgroup namespace)
  if (cgroupFd !== undefined) {
    kernel.setns(cgroupFd, CLONE_NEWCGROUP);
    closeFd(cgroupFd);
  } else if (namespaces.some((n) => n.type === "cgroup")) kernel.unshare(CLONE_NEWCGROUP);
  if (gate !== undefined) waitAtGate(gate);
  // conmon's container: once `create` is gone and conmon is our parent, die with it
  if (parentStat) awaitSupervisor(kernel, parentStat, init.supervisor!);
  const supervised = init.supervised || parentStat !== undefined;
  runHooksSync(kernel, "startContainer", spec.hooks?.startContainer, state);
  kernel.joinSessionKeyring(`_ses.${init.id}`);
  umask(p.user.umask ?? 0o022);
  if (slavePath) {
    setsid();
    const slave = openRdwr(slavePath);
    setControllingTty(slave);
    for (const n of [0, 1, 2]) dup2(slave, n);
  }
  kernel.chdir(p.cwd);
  // before seccomp: the command starts with no signal ignored or blocked (Deno ignores SIGPIPE)
  resetSignalsForExec(procSelfStatus());
  trace("init: process");
  // prepared before the limits: after them only the prepared calls run (process_tail.ts)
  const launch = kernel.prepareExecve(proc.exe, p.args!, proc.env);
  const exactRlimits = finalizeProcess(kernel, {
    creds: proc.creds,
    security: {
      capabilities: p.capabilities ?? {},
      noNewPrivileges: p.noNewPrivileges ?? false,
      rlimits: p.rlimits ?? [],
      oomScoreAdj: p.oomScoreAdj,
    },
    seccomp: init.seccomp && decodeSeccomp(init.seccomp),
    capLastCap: capLastCap(),
    keepFdsBelow: 3 + (init.preserveFds ?? 0),
    parentDeathSignal: supervised ? SIGKILL : undefined,
  });
  exactRlimits();
  return launch();
}

/** The text of /proc/self/status, if the container's /proc shows it. */
function procSelfStatus(): string | undefined {
  try {
    return Deno.readTextFileSync("/proc/self/status");
  } catch {
    return undefined; // no /proc in this container: the signals are asked one by one
  }
}

/** Hidden `__init` entry. */
export const main: Command = hiddenEntry("__init", INIT_FD_ENV, runInit);

// started as the main module (lib/self.ts entryCommand), not through main.ts's command table
if (import.meta.main) await runDirectly("__init", main);
