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
import { recvMsgSync, sendFd, sendMsg } from "../../ffi/fds.ts";
import { TsboxError } from "../errors.ts";
import {
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWUTS,
  MNT_DETACH,
  MS_BIND,
  MS_RDONLY,
  MS_REMOUNT,
} from "../../ffi/consts.ts";
import type { Kernel } from "../kernel.ts";
import { rootfsPlan } from "./rootfs_plan.ts";
import { applySteps } from "./apply_plan.ts";
import { applyMountPlan, realMountEnv } from "../../volumes/mount.ts";
import { interfaceUp } from "../../ffi/netif.ts";
import { setsid, umask } from "../../ffi/process.ts";
import { capLastCap } from "../../ffi/caps.ts";
import { dup2, openPty, openRdwr, setControllingTty } from "../../ffi/pty.ts";
import { applyVolumeMounts } from "./volumes_hook.ts";
import { hiddenEntry } from "./entry.ts";
import { resolveProcess } from "./process_setup.ts";
import { finalizeProcess } from "./process_tail.ts";
import { decodeSeccomp } from "../seccomp/cache.ts";

const SIGKILL = 9;

function send(fd: number, m: FromInit): void {
  sendMsg(fd, encodeMsg(m));
}

function recv(fd: number): ToInit | undefined {
  return decodeMsg<ToInit>(recvMsgSync(fd));
}

/** Build the container's filesystem and switch into it (bubblewrap-style timeline). */
function setupFilesystem(kernel: Kernel, spec: InitSpec): void {
  const lin = spec.security.linux;
  const { base, etc, masks } = rootfsPlan({
    ...spec,
    devices: lin.devices,
    maskedPaths: lin.maskedPaths,
    readonlyPaths: lin.readonlyPaths,
    sysctl: lin.sysctl,
    sysfsWritable: spec.security.privileged,
  });
  applySteps(kernel, spec.rootfs, base);
  applyVolumeMounts(kernel, spec.rootfs, spec.mounts);
  applyMountPlan(kernel, etc, realMountEnv(kernel, spec.rootfs));
  applySteps(kernel, spec.rootfs, masks);
  // pivot_root(".", ".") stacks the old root under the new one; detach it at once
  kernel.chdir(spec.rootfs);
  kernel.pivotRoot(".", ".");
  kernel.umount2(".", MNT_DETACH);
  kernel.chdir("/");
  if (spec.security.readonlyRootfs) {
    // only the root mount: volumes, tmpfs and the /etc binds stay writable, as in docker
    kernel.mount(null, "/", null, MS_BIND | MS_REMOUNT | MS_RDONLY, null);
  }
}

function runInit(kernel: Kernel, fd: number): never | number {
  // nothing in the container may ptrace us or open our /proc entries while we hold host state
  kernel.setDumpable(false);
  // the container dies with its supervisor (a SIGKILLed monitor or foreground
  // tsbox must not leave an unsupervised container); if the parent is already
  // gone, the recv below sees EOF
  kernel.setParentDeathSignal(SIGKILL);
  const first = recv(fd);
  if (first?.type !== "spec") throw new TsboxError("init: no spec received from the parent");
  const spec = first.spec;
  const p = spec.process;

  kernel.unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | (spec.newNetns ? CLONE_NEWNET : 0));
  send(fd, { type: "ns" });

  setupFilesystem(kernel, spec);
  kernel.sethostname(spec.hostname);
  if (spec.newNetns) interfaceUp("lo");

  const proc = resolveProcess(p, spec.hostname);
  Deno.mkdirSync(p.cwd, { recursive: true, mode: 0o755 });

  let slavePath: string | undefined;
  if (p.tty) {
    const pty = openPty("/dev/ptmx");
    slavePath = pty.slavePath;
    sendFd(fd, pty.master, encodeMsg({ type: "ready", pty: true }));
  } else send(fd, { type: "ready", pty: false });

  const go = recv(fd);
  if (go?.type !== "go") return 125; // parent went away or refused: do not start the command

  // the parent has put us in the container's cgroup: that becomes the namespace's root
  if (spec.security.cgroupns === "private") kernel.unshare(CLONE_NEWCGROUP);
  kernel.joinSessionKeyring(`_ses.${spec.id}`);
  umask(0o022);
  if (slavePath) {
    setsid();
    const slave = openRdwr(slavePath);
    setControllingTty(slave);
    for (const n of [0, 1, 2]) dup2(slave, n);
  }
  kernel.chdir(p.cwd);
  finalizeProcess(kernel, {
    creds: proc.creds,
    security: spec.security.process,
    seccomp: spec.seccomp && decodeSeccomp(spec.seccomp),
    capLastCap: capLastCap(),
    parentDeathSignal: SIGKILL,
  });
  kernel.execve(proc.exe, p.args, proc.env);
}

/** Hidden `__init` entry. */
export const main: Command = hiddenEntry("__init", INIT_FD_ENV, runInit);
