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
import { cloexecFrom, recvMsgSync, sendFd, sendMsg } from "../../ffi/fds.ts";
import { TsboxError } from "../errors.ts";
import {
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWUTS,
  MNT_DETACH,
} from "../../ffi/consts.ts";
import type { Kernel } from "../kernel.ts";
import { rootfsPlan } from "./rootfs_plan.ts";
import { applySteps } from "./apply_plan.ts";
import { interfaceUp } from "../../ffi/netif.ts";
import { resolveUser } from "./user.ts";
import { findExecutable } from "./exec_path.ts";
import { execve, setCredentials, setParentDeathSignal, setsid, umask } from "../../ffi/process.ts";
import { dup2, openPty, openRdwr, setControllingTty } from "../../ffi/pty.ts";
import { applyVolumeMounts } from "./volumes_hook.ts";
import { hiddenEntry } from "./entry.ts";

const SIGKILL = 9;

function send(fd: number, m: FromInit): void {
  sendMsg(fd, encodeMsg(m));
}

function recv(fd: number): ToInit | undefined {
  return decodeMsg<ToInit>(recvMsgSync(fd));
}

function readIfExists(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return ""; // images without /etc/passwd are fine
    throw err;
  }
}

/** Build the container's filesystem and switch into it (bubblewrap-style timeline). */
function setupFilesystem(kernel: Kernel, spec: InitSpec): void {
  const { base, etc, masks } = rootfsPlan(spec);
  applySteps(kernel, spec.rootfs, base);
  applyVolumeMounts(kernel, spec.rootfs, spec.mounts);
  applySteps(kernel, spec.rootfs, etc);
  applySteps(kernel, spec.rootfs, masks);
  // pivot_root(".", ".") stacks the old root under the new one; detach it at once
  kernel.chdir(spec.rootfs);
  kernel.pivotRoot(".", ".");
  kernel.umount2(".", MNT_DETACH);
  kernel.chdir("/");
}

/** Environment with HOME and HOSTNAME defaults, as docker sets them. */
function finalEnv(env: string[], home: string, hostname: string, tty: boolean): string[] {
  const has = (k: string) => env.some((e) => e.startsWith(`${k}=`));
  const out = [...env];
  if (!has("HOSTNAME")) out.push(`HOSTNAME=${hostname}`);
  if (!has("HOME")) out.push(`HOME=${home}`);
  if (tty && !has("TERM")) out.push("TERM=xterm");
  return out;
}

function runInit(kernel: Kernel, fd: number): never | number {
  // the container dies with its supervisor (a SIGKILLed monitor or foreground
  // tsbox must not leave an unsupervised container); if the parent is already
  // gone, the recv below sees EOF
  setParentDeathSignal(SIGKILL);
  const first = recv(fd);
  if (first?.type !== "spec") throw new TsboxError("init: no spec received from the parent");
  const spec = first.spec;
  const p = spec.process;

  kernel.unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | (spec.newNetns ? CLONE_NEWNET : 0));
  send(fd, { type: "ns" });

  setupFilesystem(kernel, spec);
  kernel.sethostname(spec.hostname);
  if (spec.newNetns) interfaceUp("lo");

  const creds = resolveUser(p.user, readIfExists("/etc/passwd"), readIfExists("/etc/group"));
  const env = finalEnv(p.env, creds.home, spec.hostname, p.tty);
  if (!p.cwd.startsWith("/")) {
    throw new TsboxError(
      `the working directory '${p.cwd}' is invalid, it needs to be an absolute path`,
    );
  }
  Deno.mkdirSync(p.cwd, { recursive: true, mode: 0o755 });
  if (p.args.length === 0) throw new TsboxError("no command specified");
  const exe = findExecutable(p.args[0], env);

  let slavePath: string | undefined;
  if (p.tty) {
    const pty = openPty("/dev/ptmx");
    slavePath = pty.slavePath;
    sendFd(fd, pty.master, encodeMsg({ type: "ready", pty: true }));
  } else send(fd, { type: "ready", pty: false });

  const go = recv(fd);
  if (go?.type !== "go") return 125; // parent went away or refused: do not start the command

  umask(0o022);
  if (slavePath) {
    setsid();
    const slave = openRdwr(slavePath);
    setControllingTty(slave);
    for (const n of [0, 1, 2]) dup2(slave, n);
  }
  kernel.chdir(p.cwd);
  // before setuid: a non-root, non-dumpable process can no longer list /proc/self/fd
  cloexecFrom(3); // nothing of tsbox's leaks into the command
  setCredentials(creds.uid, creds.gid, creds.groups);
  execve(exe, p.args, env);
}

/** Hidden `__init` entry. */
export const main: Command = hiddenEntry("__init", INIT_FD_ENV, runInit);
