/**
 * `tsbox exec`: run a command in a running container. The CLI points its
 * main thread's pid_for_children at the container's PID namespace, spawns
 * `tsbox __exec` (which so becomes a member of it), and hands it the spec;
 * `__exec` joins the other namespaces and the cgroup and execs. The CLI
 * relays the tty (or leaves stdio inherited), forwards signals, and exits
 * with the command's code.
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { ContainerError, TsboxError } from "../errors.ts";
import { cgroupName, type ContainerCgroup, openCgroups } from "../cgroup/mod.ts";
import { exists } from "../fsutil.ts";
import { utilLinux } from "./init_stage.ts";
import { closeFd, recvFd, sendMsg, seqpacketPair, setCloexec } from "../../ffi/fds.ts";
import { kill } from "../../ffi/process.ts";
import { signalNumber } from "../signals.ts";
import { EXEC_FD_ENV, type ExecSpec, type FromExec } from "./exec_spec.ts";
import { entryCommand } from "../self.ts";
import { HIDDEN } from "../cli/commands.ts";
import { mergeEnv } from "./process.ts";
import { liveView } from "./live.ts";
import type { ContainerRecord } from "./store.ts";
import type { LiveState } from "./live.ts";
import { startTtyRelay, type TtyRelay } from "./tty_relay.ts";
import type { ProcessSecurity, SecuritySettings } from "../security/types.ts";
import { cachedSeccomp } from "../seccomp/cache.ts";
import { ociCapabilities, ownBoundingSet } from "../security/capabilities.ts";

/** `exec` options (docker's flags). */
export interface ExecOptions {
  cmd: string[];
  /** `-e` entries (`K=V`; already expanded). */
  env: string[];
  workdir?: string;
  user?: string;
  tty: boolean;
  interactive: boolean;
  detach: boolean;
  /** `--privileged`: every capability for this process. */
  privileged?: boolean;
}

const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];

function decode(data: Uint8Array): FromExec | undefined {
  return data.length ? JSON.parse(new TextDecoder().decode(data)) as FromExec : undefined;
}

/**
 * The files that move the writer into the container's cgroup, cpuset first
 * (the join most likely refused): v1 `tasks` moves only the helper's main
 * thread (the one that spawns the command), v2 `cgroup.procs` the helper.
 */
export function cgroupProcs(cg: ContainerCgroup | undefined): string[] {
  if (!cg) return [];
  const dirs = [...cg.paths].sort((a, b) =>
    Number(b.includes("/cpuset/")) - Number(a.includes("/cpuset/"))
  );
  // a v2 cgroup has no tasks file
  return dirs.map((d) => exists(`${d}/tasks`) ? `${d}/tasks` : `${d}/cgroup.procs`);
}

/** The container's process settings, widened to every capability by `exec --privileged`. */
function execSecurity(sec: SecuritySettings, privileged: boolean): ProcessSecurity {
  if (!privileged) return sec.process;
  return { ...sec.process, capabilities: ociCapabilities(ownBoundingSet()) };
}

/**
 * Run `opts.cmd` in container `rec`; returns its exit code (0 at once with -d).
 * @throws {ContainerError} not running (docker's wording, exit 1).
 * @throws {TsboxError} the command could not be started (126/127/125).
 */
export async function execInContainer(
  ctx: CliContext,
  rec: ContainerRecord,
  opts: ExecOptions,
): Promise<number> {
  const id = rec.config.id;
  const view = liveView(rec);
  if (!view.running) throw new ContainerError(`container ${id} is not running`, { exitCode: 1 });
  const p = rec.config.process;
  const spec: ExecSpec = {
    id,
    pid: view.pid,
    pidStartTime: (rec.state as LiveState).pidStartTime,
    cgroupProcs: cgroupProcs(openCgroups().open(cgroupName(id))),
    hostname: rec.config.hostname,
    security: execSecurity(rec.config.security, opts.privileged ?? false),
    seccomp: rec.config.security.linux.seccomp &&
      await cachedSeccomp(ctx.paths, rec.config.security.linux.seccomp),
    process: {
      ...p,
      args: opts.cmd,
      env: mergeEnv(p.env, opts.env),
      cwd: opts.workdir ?? p.cwd,
      user: opts.user ?? p.user,
      tty: opts.tty,
    },
    detach: opts.detach,
  };
  return await runExecHelper(ctx.self, ctx.paths.root, spec, {
    ...(rec.config.userns ? { userns: `/proc/${view.pid}/ns/user` } : {}),
    stdin: opts.detach || opts.tty || !opts.interactive ? "null" : "inherit",
    stdout: opts.detach || opts.tty ? "null" : "inherit",
    stderr: opts.detach ? "null" : "inherit",
    onPty: (master) => startTtyRelay(master, opts.interactive),
  });
}

/** How the exec helper is connected. */
export interface HelperIo {
  stdin: "inherit" | "null";
  stdout: "inherit" | "null";
  stderr: "inherit" | "null";
  /** The pty master arrived (`-t`): relay it, or hand it on (runc's --console-socket). */
  onPty?: (master: number) => TtyRelay | undefined;
  /** The command runs, with this host pid (runc's --pid-file). */
  onStarted?: (pid: number) => void;
  /**
   * The container's user namespace: the helper is started in it (nsenter,
   * single-threaded, before Deno) as its root, and we put it in the
   * container's cgroup (its files are not the mapped root's to write).
   */
  userns?: string;
}

/**
 * Start the `__exec` helper for `spec` and follow it: the pty, the start,
 * signals forwarded to the command; returns its exit code (0 at once when
 * `spec.detach`).
 * @throws {TsboxError} the command could not be started (126/127/125).
 */
export async function runExecHelper(
  self: string[],
  root: string,
  spec: ExecSpec,
  io: HelperIo,
): Promise<number> {
  const [parentEnd, childEnd] = seqpacketPair();
  setCloexec(parentEnd);
  let child: Deno.ChildProcess | undefined;
  let relay: TtyRelay | undefined;
  const forwarders: [Deno.Signal, () => void][] = [];
  try {
    const argv = [
      ...(io.userns ? [utilLinux("nsenter"), `--user=${io.userns}`, "--"] : []),
      ...entryCommand(self, HIDDEN.__exec.module),
      "--root",
      root,
      "__exec",
    ];
    const cmd = new Deno.Command(argv[0], {
      args: argv.slice(1),
      env: { [EXEC_FD_ENV]: String(childEnd) },
      stdin: io.stdin,
      stdout: io.stdout,
      stderr: io.stderr,
    });
    child = cmd.spawn();
    closeFd(childEnd);
    if (io.userns) {
      // the pid is the helper's main thread too (v1 tasks): the thread that spawns the command
      for (const f of spec.cgroupProcs) Deno.writeTextFileSync(f, String(child.pid));
      spec = { ...spec, cgroupProcs: [] };
    }
    sendMsg(parentEnd, new TextEncoder().encode(JSON.stringify({ type: "spec", spec })));
    const first = await recvFd(parentEnd);
    const ready = decode(first.data);
    if (ready?.type === "ready" && ready.pty) relay = io.onPty?.(first.fd);
    // then "started" once the command runs, or the error that kept it from running
    const late = ready?.type === "ready" ? decode((await recvFd(parentEnd)).data) : ready;
    if (late?.type === "error") {
      throw new TsboxError(late.message, { exitCode: late.code });
    }
    if (late?.type !== "started") {
      throw new ContainerError(`exec helper exited before starting the command`);
    }
    io.onStarted?.(late.pid);
    if (spec.detach) {
      child.unref();
      child = undefined;
      return 0;
    }
    const pid = late.pid; // the command itself: the helper only waits for it
    for (const sig of FORWARDED) {
      const h = () => kill(pid, signalNumber(sig));
      Deno.addSignalListener(sig, h);
      forwarders.push([sig, h]);
    }
    const status = await child.status;
    child = undefined;
    return status.signal ? 128 + signalNumber(status.signal) : status.code;
  } finally {
    for (const [sig, h] of forwarders) Deno.removeSignalListener(sig, h);
    if (child) {
      // the helper failed before exec: do not leave it behind
      kill(child.pid, 9);
      await child.status;
    }
    await relay?.stop();
    closeFd(parentEnd);
  }
}
