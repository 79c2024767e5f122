/**
 * Hidden `__exec`: the helper `tsbox exec` re-executes, in the HOST's PID
 * namespace. runc's nsexec shape: it makes itself non-dumpable, joins the
 * container's ipc, uts, net, cgroup and mount namespaces (mount needs
 * unshare(CLONE_FS) first and leaves root and cwd at the container's root),
 * points its pid_for_children at the container's PID namespace, joins the
 * cgroup, applies the shared process tail (credentials, capabilities,
 * no_new_privs, seccomp) to its main thread and posix_spawns the command
 * from that thread. So nothing of tsbox is ever inside the container's PID
 * namespace: the only new member is the command, born with the container's
 * credentials. The helper reports the command's host pid (the CLI forwards
 * signals to it), waits for it and exits with its status.
 *
 * Everything before the spawn is synchronous: after setns() only this
 * thread is in the container; async ops would run on threads with the
 * host's view.
 * @module
 */

import type { Command } from "../cli/context.ts";
import type { Kernel } from "../kernel.ts";
import { EXEC_FD_ENV, type ExecSpec, type FromExec, type ToExec } from "../container/exec_spec.ts";
import { closeFd, recvMsgSync, sendFd, sendMsg } from "../../ffi/fds.ts";
import { openNsFd } from "../../ffi/ns.ts";
import {
  CLONE_FS,
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWUTS,
} from "../../ffi/consts.ts";
import { formatError, TsboxError } from "../errors.ts";
import { umask } from "../../ffi/process.ts";
import { capLastCap } from "../../ffi/caps.ts";
import { waitChildSync } from "../../ffi/spawn.ts";
import { openPty } from "../../ffi/pty.ts";
import { pidStartTime } from "../container/proc.ts";
import { hiddenEntry } from "./entry.ts";
import { runDirectly } from "./direct.ts";
import { resolveProcess } from "./process_setup.ts";
import { finalizeProcess } from "./process_tail.ts";
import { decodeSeccomp } from "../seccomp/encoded.ts";

const enc = new TextEncoder();
const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];

function send(fd: number, m: FromExec): void {
  sendMsg(fd, enc.encode(JSON.stringify(m)));
}

/** The namespaces joined, in order (mnt last but one, pid only for children). */
const ORDER: [string, number][] = [
  ["ipc", CLONE_NEWIPC],
  ["uts", CLONE_NEWUTS],
  ["net", CLONE_NEWNET],
  ["cgroup", CLONE_NEWCGROUP],
  ["mnt", CLONE_NEWNS],
  ["pid", CLONE_NEWPID],
];

/** setns() into the container's namespaces. */
function joinNamespaces(kernel: Kernel, spec: ExecSpec): void {
  // the namespaces we share already (the host's, e.g. --network host) are skipped: in a user
  // namespace we could not setns into the host's again (runc skips them too)
  const order = ORDER.filter(([n]) =>
    !sameNamespace(`/proc/self/ns/${n}`, `/proc/${spec.pid}/ns/${n}`)
  );
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

/** Whether two namespace links name the same namespace. */
function sameNamespace(a: string, b: string): boolean {
  return Deno.readLinkSync(a) === Deno.readLinkSync(b);
}

function runExec(kernel: Kernel, fd: number): number {
  kernel.setDumpable(false); // first: no one may ptrace us or open our /proc entries
  // The CLI forwards signals to the command itself; we must just survive them (a ^C to the
  // process group) and keep waiting. Registered now: once pid_for_children is the container's,
  // this thread can start no threads (clone(CLONE_THREAD) fails with EINVAL).
  for (const sig of FORWARDED) Deno.addSignalListener(sig, () => {});
  const first = JSON.parse(new TextDecoder().decode(recvMsgSync(fd)) || "null") as ToExec | null;
  if (first?.type !== "spec") throw new TsboxError("exec: no spec received from tsbox");
  const spec = first.spec;
  const p = spec.process;
  // opened while /sys/fs/cgroup is still the host's; written just before the spawn
  const procs = spec.cgroupProcs.map((path) => Deno.openSync(path, { write: true }));

  // our /proc/self is gone once we are in the container's mount namespace (its procfs
  // does not know us): oom_score_adj is written now, the rest of the tail needs no /proc
  const adj = spec.security.oomScoreAdj;
  if (adj !== undefined) kernel.writeFile("/proc/self/oom_score_adj", String(adj));
  joinNamespaces(kernel, spec);
  const proc = resolveProcess(p, spec.hostname);
  kernel.chdir(p.cwd);

  let slavePath: string | undefined;
  if (p.tty) {
    const pty = openPty("/dev/ptmx"); // the container's devpts: the slave is visible inside
    slavePath = pty.slavePath;
    sendFd(fd, pty.master, enc.encode(JSON.stringify({ type: "ready", pty: true })));
    closeFd(pty.master);
  } else send(fd, { type: "ready", pty: false });

  // "0" is the writing thread (v1 tasks) or process (v2): the spawned command inherits it
  for (const f of procs) {
    f.writeSync(enc.encode("0"));
    f.close();
  }
  umask(0o022);
  // the container's session keyring (joined by name, as runc's setns init), never the caller's
  kernel.joinSessionKeyring(`_ses.${spec.id}`);
  const exactRlimits = finalizeProcess(kernel, {
    creds: proc.creds,
    security: { ...spec.security, oomScoreAdj: undefined },
    seccomp: spec.seccomp && decodeSeccomp(spec.seccomp),
    capLastCap: capLastCap(),
  });
  // this helper lives on under them (rlimits are per process): it only waits from here on
  exactRlimits();
  const child = kernel.spawn(proc.exe, p.args, proc.env, {
    setsid: Boolean(slavePath) || spec.detach,
    tty: slavePath,
  });
  send(fd, { type: "started", pid: child });
  if (spec.detach) return 0; // the command is reparented to the container's init
  const st = waitChildSync(child); // sync: see the signal listeners above
  return st.code ?? 128 + st.signal;
}

/** Hidden `__exec` entry. */
export const main: Command = hiddenEntry(
  "__exec",
  EXEC_FD_ENV,
  runExec,
  (err) => err instanceof TsboxError ? err.message : formatError(err),
);

// started as the main module (lib/self.ts entryCommand), not through main.ts's command table
if (import.meta.main) await runDirectly("__exec", main);
