/**
 * Start a created container and supervise it in the foreground:
 *
 *   cgroup → etc files → spawn init in a new PID ns → send spec →
 *   ("ns") attach network → ("ready") join cgroup → "go" → relay stdio,
 *   forward signals → wait → record exit (OOM?) → teardown.
 *
 * Teardown runs on every path (error, signal, normal exit): network DEL,
 * cgroup removal, state update. Mounts live only in the container's mount
 * namespace and vanish with it.
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { containerDir } from "../paths.ts";
import { TsboxError } from "../errors.ts";
import {
  cgroupName,
  type ContainerCgroup,
  openCgroups,
  type ResourceLimits,
} from "../cgroup/mod.ts";
import { attachNetwork, detachNetwork, writeEtcFiles } from "../net/mod.ts";
import { closeFd, recvFd, sendMsg, seqpacketPair, setCloexec } from "../../ffi/fds.ts";
import { kill } from "../../ffi/process.ts";
import { spawnInNewPidNs } from "./pidns.ts";
import { decodeMsg, encodeMsg, type FromInit, INIT_FD_ENV, type InitSpec } from "./init_spec.ts";
import { type ContainerConfig, readContainer, writeConfig, writeState } from "./store.ts";
import type { NetworkRecord } from "./create.ts";
import { startTtyRelay, type TtyRelay } from "./tty_relay.ts";
import { signalNumber } from "../signals.ts";
import { pidStartTime } from "./proc.ts";

/** How the container's stdio is connected. */
export interface StdioOptions {
  /** Forward our stdin. */
  interactive: boolean;
}

const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];

/** Teardown of what `startContainer` set up (idempotent, safe after SIGKILL). */
export async function teardownContainer(ctx: CliContext, config: ContainerConfig): Promise<void> {
  const net = config.network as NetworkRecord | undefined;
  if (net?.attachment) await detachNetwork(ctx.paths, net.attachment, ctx.kernel);
  const cg = openCgroups().open(cgroupName(config.id));
  if (cg) await cg.destroy();
}

/**
 * Run container `id` in the foreground; returns the exit code
 * (the command's, 128+N when killed by signal N, 125/126/127 for setup failures).
 */
export async function startContainer(
  ctx: CliContext,
  id: string,
  stdio: StdioOptions,
): Promise<number> {
  const rec = readContainer(ctx.paths, id);
  if (!rec) throw new TsboxError(`No such container: ${id}`);
  const config = rec.config;
  const dir = containerDir(ctx.paths, id);
  const net = (config.network ?? { opts: { mode: "none" } }) as NetworkRecord;
  const p = config.process;
  let cgroup: ContainerCgroup | undefined;
  let child: Deno.ChildProcess | undefined;
  let initError: { message: string; code: number } | undefined;
  let relay: TtyRelay | undefined;
  const forwarders: [Deno.Signal, () => void][] = [];
  const [parentEnd, childEnd] = seqpacketPair();
  setCloexec(parentEnd);
  try {
    cgroup = openCgroups().create(cgroupName(id), config.resources as ResourceLimits);
    const etc = writeEtcFiles(dir, {
      hostname: config.hostname,
      opts: net.opts as never,
      containerName: config.name,
    });
    const spec: InitSpec = {
      id,
      rootfs: `${dir}/merged`,
      lowerDirs: config.image.layerDirs,
      upperDir: `${dir}/upper`,
      workDir: `${dir}/work`,
      hostname: config.hostname,
      etcFiles: etc,
      newNetns: (net.opts as { mode: string }).mode !== "host",
      mounts: config.mounts,
      process: p,
    };
    const cmd = new Deno.Command(ctx.self[0], {
      args: [...ctx.self.slice(1), "--root", ctx.paths.root, "__init"],
      env: { [INIT_FD_ENV]: String(childEnd) },
      stdin: p.tty || !stdio.interactive ? "null" : "inherit",
      stdout: p.tty ? "null" : "inherit",
      stderr: "inherit",
    });
    child = spawnInNewPidNs(ctx.kernel, () => cmd.spawn());
    closeFd(childEnd);
    const pid = child.pid;
    for (const sig of FORWARDED) {
      const h = () => kill(pid, signalNumber(sig));
      Deno.addSignalListener(sig, h);
      forwarders.push([sig, h]);
    }
    sendMsg(parentEnd, encodeMsg({ type: "spec", spec }));

    // the handshake; EOF before "ready" means the init failed or died
    let ready = false;
    while (!ready) {
      const { fd, data } = await recvFd(parentEnd);
      const msg = decodeMsg<FromInit>(data);
      if (!msg) break;
      if (msg.type === "error") {
        initError = msg;
        break;
      }
      if (msg.type === "ns" && (net.opts as { mode: string }).mode === "bridge") {
        net.attachment = await attachNetwork(ctx.paths, {
          containerId: id,
          containerName: config.name,
          hostname: config.hostname,
          netnsPath: `/proc/${pid}/ns/net`,
          opts: net.opts,
          kernel: ctx.kernel,
        });
        writeConfig(ctx.paths, { ...config, network: net });
        writeEtcFiles(dir, {
          hostname: config.hostname,
          attachment: net.attachment,
          opts: net.opts,
          containerName: config.name,
        });
      }
      if (msg.type === "ready") {
        if (msg.pty) relay = startTtyRelay(fd, stdio.interactive);
        cgroup.addProcess(pid); // joined at the last moment: the init's own memory is not charged
        writeState(ctx.paths, id, {
          status: "running",
          pid,
          pidStartTime: pidStartTime(pid),
          monitorPid: Deno.pid,
          startedAt: new Date().toISOString(),
        });
        sendMsg(parentEnd, encodeMsg({ type: "go" }));
        ready = true;
      }
    }
    // after exec the socket closes (close-on-exec); an exec failure still reports
    const late = ready ? decodeMsg<FromInit>((await recvFd(parentEnd)).data) : undefined;
    if (late?.type === "error") initError = late;
    const status = await child.status;
    child = undefined;
    await relay?.stop();
    relay = undefined;
    const oom = cgroup.oomKilled();
    const code = initError
      ? initError.code
      : status.signal
      ? 128 + signalNumber(status.signal)
      : status.code;
    if (initError) console.error(initError.message);
    writeState(ctx.paths, id, {
      status: "exited",
      pid: 0,
      exitCode: code,
      oomKilled: oom,
      error: initError?.message,
      startedAt: readContainer(ctx.paths, id)?.state.startedAt,
      finishedAt: new Date().toISOString(),
    });
    return code;
  } finally {
    for (const [sig, h] of forwarders) Deno.removeSignalListener(sig, h);
    if (child) {
      // setup failed after the spawn: the container must not outlive it
      kill(child.pid, 9);
      await child.status;
    }
    await relay?.stop();
    closeFd(parentEnd);
    const latest = readContainer(ctx.paths, id);
    await teardownContainer(ctx, latest?.config ?? config);
    if (latest && latest.state.status !== "exited") {
      writeState(ctx.paths, id, {
        ...latest.state,
        status: "exited",
        pid: 0,
        exitCode: latest.state.exitCode ?? 125,
      });
    }
  }
}
