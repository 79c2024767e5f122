/**
 * Hidden `__exec`: the helper `tsbox exec` re-executes. It is spawned
 * already inside the container's PID namespace (the CLI set its
 * pid_for_children), joins the other namespaces with setns() on its main
 * thread — ipc, uts, net, then mnt, which needs unshare(CLONE_FS) first and
 * leaves root and cwd at the container's root — joins the cgroup at the last
 * moment (Deno's own memory is not charged to the container) and execve()s.
 *
 * Everything here is synchronous: after setns() only this thread is in the
 * container; async ops would run on threads with the host's view.
 * @module
 */

import type { Command } from "../cli/context.ts";
import type { Kernel } from "../kernel.ts";
import { EXEC_FD_ENV, type ExecSpec, type FromExec, type ToExec } from "../container/exec_spec.ts";
import { cloexecFrom, closeFd, recvMsgSync, sendFd, sendMsg } from "../../ffi/fds.ts";
import { openNsFd } from "../../ffi/ns.ts";
import {
  CLONE_FS,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWUTS,
} from "../../ffi/consts.ts";
import { formatError, TsboxError } from "../errors.ts";
import { resolveUser } from "./user.ts";
import { findExecutable } from "./exec_path.ts";
import { execve, setCredentials, setsid, umask } from "../../ffi/process.ts";
import { dup2, openPty, openRdwr, setControllingTty } from "../../ffi/pty.ts";
import { pidStartTime } from "../container/proc.ts";
import { hiddenEntry } from "./entry.ts";

const enc = new TextEncoder();

function send(fd: number, m: FromExec): void {
  sendMsg(fd, enc.encode(JSON.stringify(m)));
}

function readIfExists(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return ""; // images without /etc/passwd are fine
    throw err;
  }
}

/** HOME / HOSTNAME / TERM defaults, as docker exec sets them. */
function finalEnv(env: string[], home: string, hostname: string, tty: boolean): string[] {
  const has = (k: string) => env.some((e) => e.startsWith(`${k}=`));
  const out = [...env];
  if (!has("HOSTNAME")) out.push(`HOSTNAME=${hostname}`);
  if (!has("HOME")) out.push(`HOME=${home}`);
  if (tty && !has("TERM")) out.push("TERM=xterm");
  return out;
}

/** setns() into the container's ipc, uts, net and mount namespaces. */
function joinNamespaces(kernel: Kernel, spec: ExecSpec): void {
  const order: [string, number][] = [
    ["ipc", CLONE_NEWIPC],
    ["uts", CLONE_NEWUTS],
    ["net", CLONE_NEWNET],
    ["mnt", CLONE_NEWNS],
  ];
  const fds = order.map(([n]) => openNsFd(`/proc/${spec.pid}/ns/${n}`));
  try {
    // the fds were opened from this pid: if it is still the same process, they are its namespaces
    if (pidStartTime(spec.pid) !== spec.pidStartTime) {
      throw new TsboxError(`container ${spec.pid} is not running`, { exitCode: 1 });
    }
    order.forEach(([, t], i) => {
      if (t === CLONE_NEWNS) kernel.unshare(CLONE_FS); // setns(mnt) refuses a shared fs struct
      kernel.setns(fds[i], t);
    });
  } finally {
    for (const fd of fds) closeFd(fd);
  }
}

function runExec(kernel: Kernel, fd: number): never {
  const first = JSON.parse(new TextDecoder().decode(recvMsgSync(fd)) || "null") as ToExec | null;
  if (first?.type !== "spec") throw new TsboxError("exec: no spec received from tsbox");
  const spec = first.spec;
  const p = spec.process;
  // opened while /sys/fs/cgroup is still the host's; written just before execve
  const procs = spec.cgroupProcs.map((path) => Deno.openSync(path, { write: true }));

  joinNamespaces(kernel, spec);
  const creds = resolveUser(p.user, readIfExists("/etc/passwd"), readIfExists("/etc/group"));
  const env = finalEnv(p.env, creds.home, spec.hostname, p.tty);
  if (!p.cwd.startsWith("/")) {
    throw new TsboxError(
      `the working directory '${p.cwd}' is invalid, it needs to be an absolute path`,
    );
  }
  kernel.chdir(p.cwd);
  if (p.args.length === 0) throw new TsboxError("no command specified");
  const exe = findExecutable(p.args[0], env);

  let slavePath: string | undefined;
  if (p.tty) {
    const pty = openPty("/dev/ptmx"); // the container's devpts: the slave is visible inside
    slavePath = pty.slavePath;
    sendFd(fd, pty.master, enc.encode(JSON.stringify({ type: "ready", pty: true })));
    closeFd(pty.master);
  } else send(fd, { type: "ready", pty: false });

  // "0" is the writer itself: our pid differs between the host and the container
  for (const f of procs) {
    f.writeSync(enc.encode("0"));
    f.close();
  }
  umask(0o022);
  if (slavePath) {
    setsid();
    const slave = openRdwr(slavePath);
    setControllingTty(slave);
    for (const n of [0, 1, 2]) dup2(slave, n);
    if (slave > 2) closeFd(slave);
  } else if (spec.detach) setsid();
  setCredentials(creds.uid, creds.gid, creds.groups);
  cloexecFrom(3); // nothing of tsbox's leaks into the command
  execve(exe, p.args, env);
}

/** Hidden `__exec` entry. */
export const main: Command = hiddenEntry(
  "__exec",
  EXEC_FD_ENV,
  runExec,
  (err) => err instanceof TsboxError ? err.message : formatError(err),
);
