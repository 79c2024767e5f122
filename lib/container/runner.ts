/**
 * Start a created (or exited) container and supervise it until it exits:
 *
 *   claim (lock: not running, clean leftovers) → cgroup → etc files →
 *   spawn init in a new PID ns → send spec → ("ns") attach network →
 *   ("ready") join cgroup, record pid → "go" → exec'd? → log stdio (and
 *   relay it), forward signals → wait → (lock) teardown, record exit (OOM?).
 *
 * The same code runs the foreground `run`/`start -a` (stdio → json log and
 * on to ours, as docker logs foreground containers too) and the detached
 * monitor (stdio → json log and the attach socket). Teardown runs on every path;
 * mounts live only in the container's mount namespace and vanish with it.
 * The init dies with us (PR_SET_PDEATHSIG), so a SIGKILLed supervisor
 * leaves only records, which `start`/`rm` clean through the kernel's view.
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { containerDir } from "../paths.ts";
import { ContainerError, exitCodeOf, formatError, TsboxError } from "../errors.ts";
import {
  cgroupName,
  type ContainerCgroup,
  openCgroups,
  type ResourceLimits,
} from "../cgroup/mod.ts";
import { detachContainer, detachNetwork } from "../net/mod.ts";
import { hasAttachments, liveAttachments, withoutAttachments } from "../net/endpoints.ts";
import { closeFd, recvFd, sendMsg } from "../../ffi/fds.ts";
import type { InitChild, InitCommand } from "./init_child.ts";
import {
  abandonEarlyInit,
  type EarlyInit,
  hasStdio,
  initStdio,
  spawnWithSocket,
} from "./early_init.ts";
import { kill } from "../../ffi/process.ts";
import { donorShmOf, type Joins, openJoins, sharesPidNamespace } from "./namespace_join.ts";
import { decodeMsg, encodeMsg, type FromInit, type InitSpec } from "./init_spec.ts";
import { type ContainerConfig, type ContainerRecord, writeConfig, writeState } from "./store.ts";
import type { NetworkRecord } from "./create.ts";
import { startTtyRelay, type TtyRelay } from "./tty_relay.ts";
import { signalNumber } from "../signals.ts";
import { pidStartTime } from "./proc.ts";
import {
  attachAtNs,
  completeContainerUserns,
  createContainerCgroup,
  initExtras,
  startSpec,
} from "./start_steps.ts";
import { updateState, withContainerLock } from "./lock.ts";
import { type LiveState, liveView } from "./live.ts";
import { JsonLogWriter, logPath } from "./log_file.ts";
import { rotationOf } from "./log_config.ts";
import { drain, pumpPipes, pumpPty } from "./log_pump.ts";
import { pipeInput, ptyInput, StdioTee } from "./attach_streams.ts";
import { AttachHub } from "./attach_hub.ts";
import { assertLayersPresent } from "./layer_check.ts";
import { writeBundleConfig } from "./bundle.ts";
import { recordEvent, recordVolumeMounts } from "./events.ts";
import { removeExitFile, removeRuntimeState } from "./conmon_files.ts";
import { lazy } from "../lazy.ts";
import type { LinuxNamespace } from "../oci/spec.ts";
import { trace } from "../trace.ts";
import { beginCgroupJoin, type CgroupJoin } from "../cgroup/early_join.ts";
import type { UsermodeNet } from "../net/usermode_types.ts";

/** Why a container did not get to exec its command. */
export interface StartFailure {
  message: string;
  code: number;
}

/** How the container's stdio is connected. */
export interface StdioOptions {
  /** Forward our stdin (foreground) / keep the container's stdin open (log mode). */
  interactive: boolean;
  /** Detached: stdout/stderr (or the pty) go to the json log, not to our stdio. */
  log?: boolean;
  /** Called once: when the command was exec'd (no argument) or failed to start. */
  onStarted?: (failure?: StartFailure) => void;
  /** Detached: serve the attach socket (`tsbox attach`) while the container runs. */
  attachable?: boolean;
  /** Detached `run -it`/`start -ai`: the socket of the CLI that attaches, joined before the start. */
  attachTo?: string;
  /** Foreground `-a/--attach`: only these streams are connected (absent: all of them). */
  attach?: AttachedStreams;
  /** An init `run` spawned before creating the container: used if it fits, else stopped. */
  early?: EarlyInit;
  /**
   * `run --rm` in the foreground: called under the container's lock once the
   * teardown succeeded and the exit was logged, to remove the container there
   * (no exited state is written). After a failed teardown it is not called:
   * the exit is recorded and the caller's removal tries the teardown again.
   */
  removeAfter?: (rec: ContainerRecord) => void;
}

/**
 * Whether `early` fits this start: the same stdio, a new PID namespace,
 * a new user namespace exactly when it was spawned behind that stage, and
 * the same rootless mode (whose stage makes the PID namespace).
 */
function earlyFits(
  early: EarlyInit,
  oci: { linux?: { namespaces?: LinuxNamespace[] } },
  want: Pick<InitCommand, "stdin" | "stdout" | "stderr">,
  rootless: boolean | undefined,
): boolean {
  const ns = oci.linux?.namespaces ?? [];
  const pid = ns.find((n) => n.type === "pid");
  const user = ns.find((n) => n.type === "user");
  return (rootless === true) === early.rootless && pid !== undefined && !pid.path &&
    !user?.path &&
    (user !== undefined) === early.userns && hasStdio(early, want);
}

/** Which of the container's stdio streams a foreground run connects to ours. */
export interface AttachedStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];

/**
 * Teardown of what `startContainer` set up (idempotent, safe after SIGKILL):
 * network (every recorded attachment, then tsbox's own records for a crash
 * mid-attach) and cgroup. Returns the config without the attachments; the
 * caller stores it (under the container lock).
 */
export async function teardownContainer(
  ctx: CliContext,
  config: ContainerConfig,
): Promise<ContainerConfig> {
  const net = config.network as NetworkRecord | undefined;
  for (const a of liveAttachments(net)) await detachNetwork(ctx.paths, a, ctx.kernel);
  await detachContainer(ctx.paths, config.id, ctx.kernel);
  const cg = openCgroups().open(cgroupName(config.id));
  // without a PID namespace of its own, the end of its PID 1 does not end the others
  if (cg) await cg.destroy(sharesPidNamespace(config) ? { kill } : {});
  removeRuntimeState(ctx.paths, config.id); // a conmon run's tsbox-runc state
  // and its exit file, when no exit command recorded it (rootless: never under conmon)
  if (!ctx.rootless) removeExitFile(config.id);
  return net && hasAttachments(net) ? { ...config, network: withoutAttachments(net) } : config;
}

/** The init's error, without the `tsbox: ` its formatError put in front. */
function fromInit(m: { message: string; code: number }): StartFailure {
  return { message: m.message.replace(/^tsbox: /, ""), code: m.code };
}

/**
 * After a failed attach: stop the init and return the error it reported
 * before (its messages stay queued on the socket), if any.
 */
async function errorReportedBy(
  child: InitChild,
  fd: number,
): Promise<StartFailure | undefined> {
  await child.stop();
  for (;;) {
    const got = await recvFd(fd);
    if (got.fd >= 0) closeFd(got.fd); // a pty master sent with "ready": unused now
    const msg = decodeMsg<FromInit>(got.data);
    if (!msg) return undefined; // EOF: it reported nothing
    if (msg.type === "error") return fromInit(msg);
  }
}

/**
 * Take the container for a start: refuse if alive, clean what a crash
 * left, mark it starting (supervised by this process until it says otherwise).
 * @throws {ContainerError} already running / being removed (exit 1).
 */
export async function claim(ctx: CliContext, id: string): Promise<ContainerConfig> {
  return await withContainerLock(ctx.paths, id, async (rec) => {
    const view = liveView(rec);
    if (view.running || view.starting) {
      throw new ContainerError(`container ${id} is already running`, { exitCode: 1 });
    }
    if (view.status === "removing" || view.status === "dead") {
      throw new ContainerError(`container ${id} is marked for removal and cannot be started`, {
        exitCode: 1,
      });
    }
    assertLayersPresent(rec.config.spec.image, rec.config.image.layerDirs);
    // never started (claim is the first thing a start writes): nothing of a run to clean
    const config = rec.state.status === "created"
      ? rec.config
      : await teardownContainer(ctx, rec.config);
    if (config !== rec.config) writeConfig(ctx.paths, config);
    const starting: LiveState = {
      status: "running",
      pid: 0,
      monitorPid: Deno.pid,
      monitorStartTime: pidStartTime(Deno.pid),
      startedAt: new Date().toISOString(),
    };
    writeState(ctx.paths, id, starting);
    return config;
  });
}

/**
 * Run container `id` until it exits; returns the exit code (the command's,
 * 128+N when killed by signal N, 125/126/127 for setup failures).
 * @throws {ContainerError} already running / being removed (exit 1).
 */
export async function startContainer(
  ctx: CliContext,
  id: string,
  stdio: StdioOptions,
): Promise<number> {
  trace("start");
  let config: ContainerConfig;
  try {
    config = await claim(ctx, id);
  } catch (err) {
    if (stdio.early) await abandonEarlyInit(stdio.early);
    throw err;
  }
  const dir = containerDir(ctx.paths, id);
  const net = (config.network ?? { opts: { mode: "none" } }) as NetworkRecord;
  const mode = (net.opts as { mode: string }).mode;
  const p = config.process;
  // foreground runs are logged too, as docker's; --log-driver none still drains the output
  const logTo = config.logConfig?.Type === "none" ? "/dev/null" : logPath(ctx.paths, id);
  const log = new JsonLogWriter(logTo, rotationOf(config.logConfig));
  // the foreground: what is logged goes on to our stdout/stderr (those -a attaches)
  const fg = stdio.log ? undefined : new StdioTee(stdio.attach);
  let started = false;
  const reportStart = (failure?: StartFailure) => {
    if (started) return;
    started = true;
    stdio.onStarted?.(failure);
  };
  let cgroup: ContainerCgroup | undefined;
  let child: InitChild | undefined;
  let initError: StartFailure | undefined;
  let relay: TtyRelay | undefined;
  let joins: Joins | undefined;
  // the user-mode network (slirp4netns/pasta): it lives as long as we do (its exit fd is ours)
  let usermode: UsermodeNet | undefined;
  let usermodeDir: string | undefined;
  let hub: AttachHub | undefined;
  let spawned = false;
  const pumps: Promise<void>[] = [];
  let oom = false;
  let code = 125;
  const forwarders: [Deno.Signal, () => void][] = [];
  let early = stdio.early;
  let parentEnd = -1;
  let cgroupJoin: CgroupJoin | undefined;
  let mountsLogged = false;
  try {
    const cgroups = openCgroups();
    joins = openJoins(ctx.paths, config);
    if (stdio.log && stdio.attachable) hub = AttachHub.open(ctx.paths, id);
    if (hub && stdio.attachTo) await hub.connectTo(stdio.attachTo);
    const tee = fg?.tee ?? (hub && ((s: "stdout" | "stderr", b: Uint8Array) => hub!.output(s, b)));
    cgroup = createContainerCgroup(ctx, cgroups, config);
    const oci = startSpec(ctx, config, joins);
    const want = initStdio(p.tty, stdio);
    if (early && !earlyFits(early, oci, want, ctx.rootless)) {
      await abandonEarlyInit(early);
      early = undefined;
    }
    // the join's grace period (early_join.ts) begins as soon as the init and its cgroup both
    // exist: an init spawned ahead joins before the rest of the start is written.
    // Behind a user namespace stage the pid comes later: joined whole at "ready"
    const join = (pid: number | undefined) => {
      if (cgroup && pid !== undefined && !cgroupJoin) {
        cgroupJoin = beginCgroupJoin(cgroup, pid, config.resources as ResourceLimits, oci);
      }
    };
    join(early?.child.pid);
    writeBundleConfig(dir, oci);
    const spec: InitSpec = {
      id,
      spec: oci,
      bundle: dir,
      ...(await initExtras(ctx, config, oci, cgroups, cgroup)),
      ...donorShmOf(oci, joins),
      supervised: true,
    };
    ({ child, sock: parentEnd } = early ?? spawnWithSocket(ctx, oci.linux?.namespaces ?? [], want));
    early = undefined; // ours now: killed and closed below on failure
    spawned = true;
    trace("spawned");
    join(child.pid);
    const init = child;
    pumps.push(pumpPipes(
      [
        ...(p.tty ? [] : [{ fd: child.takeOutput(1), name: "stdout" as const }]),
        { fd: child.takeOutput(2), name: "stderr" },
      ],
      log,
      tee,
    ));
    if (hub && !p.tty && stdio.interactive) hub.setInput(pipeInput(child.stdin));
    for (const sig of FORWARDED) {
      const h = () => init.kill(signalNumber(sig));
      Deno.addSignalListener(sig, h);
      forwarders.push([sig, h]);
    }
    sendMsg(parentEnd, encodeMsg({ type: "spec", spec }));

    // "go": the cgroup joined whole, the pid recorded; the init execs the command on it
    const sock = parentEnd;
    const sendGo = async () => {
      const pid = init.pid!;
      if (cgroupJoin) await cgroupJoin.finish();
      else cgroup?.addProcess(pid);
      const startTime = pidStartTime(pid);
      // recorded once the cgroup holds it whole: a pid in the state is a pid in its cgroup
      // (what pause, update, stats and top act on)
      await updateState(ctx.paths, id, (rec) => ({ ...rec.state, pid, pidStartTime: startTime }));
      trace("go");
      sendMsg(sock, encodeMsg({ type: "go" }));
    };
    // Sent at once when it needs nothing from "ready": no controller joins late, and nothing
    // (a user namespace, a network to attach) comes between the spec and the init's "ready",
    // after which the init reads only its go. It then finds it waiting instead of asking.
    let go: Promise<void> | undefined;
    if (!child.stage.userns && !cgroupJoin?.late && !["bridge", "slirp4netns"].includes(mode)) {
      go = sendGo();
      go.catch(() => {}); // its failure is taken at "ready", or dropped with the failed init
    }

    // the handshake; EOF before "ready" means the init failed or died
    let ready = false;
    while (!ready) {
      const { fd, data } = await recvFd(parentEnd);
      const msg = decodeMsg<FromInit>(data);
      if (!msg) break;
      if (msg.type === "error") {
        initError = fromInit(msg);
        break;
      }
      if (msg.type === "userns") {
        await init.adopt(msg.pid);
        const copyLayers = ctx.env.TSBOX_IDMAP === "copy";
        await completeContainerUserns({ ...ctx, copyLayers }, parentEnd, init, config, oci);
      }
      if (msg.type === "ns" && mode === "slirp4netns") {
        try {
          usermodeDir = Deno.makeTempDirSync({ prefix: "tsbox-net-" });
          const { startUsermodeNet } = await lazy("net/usermode.ts");
          usermode = await startUsermodeNet({
            target: { netnsPath: `/proc/${init.pid}/ns/net` },
            ports: net.opts.ports,
            allowHostLoopback: net.opts.allowHostLoopback ?? false,
            runDir: usermodeDir,
            kernel: ctx.kernel,
          });
        } catch (err) {
          initError = await errorReportedBy(init, parentEnd);
          if (!initError) throw err;
          break;
        }
        const { writeUsermodeResolvConf } = await lazy("net/usermode_resolv.ts");
        writeUsermodeResolvConf(dir, usermode, net.opts.dns);
      }
      if (msg.type === "ns" && mode === "bridge") {
        try {
          Object.assign(net, await attachAtNs(ctx, config, init.pid!));
        } catch (err) {
          // the init may have failed meanwhile, taking its netns with it: its own error wins
          initError = await errorReportedBy(init, parentEnd);
          if (!initError) throw err;
          break;
        }
      }
      if (msg.type === "ready") {
        joins.close(); // the init is in the donors' namespaces: their fds are no longer needed
        if (msg.pty && stdio.log) {
          pumps.push(pumpPty(fd, log, tee, () => hub?.endInput()));
          hub?.setInput(ptyInput(fd));
        } else if (msg.pty && stdio.attach?.stdout === false) pumps.push(pumpPty(fd, log));
        else if (msg.pty) {
          const input = stdio.interactive && stdio.attach?.stdin !== false;
          relay = startTtyRelay(fd, input, (b) => log.write("stdout", b));
        }
        // not sent yet: the late controllers join now, at the last moment (the init's own
        // memory is not charged)
        await (go ??= sendGo());
        ready = true;
      }
    }
    // an init that failed before "ready": the early go's state write is over before the exit's
    if (!ready) await go?.catch(() => {});
    // after exec the socket closes (close-on-exec); an exec failure still reports
    const late = ready ? decodeMsg<FromInit>((await recvFd(parentEnd)).data) : undefined;
    if (late?.type === "error") initError = fromInit(late);
    if (ready && !initError) {
      // docker's order: its volumes' mount events, then start
      recordVolumeMounts(ctx.paths, "mount", config);
      mountsLogged = true;
      recordEvent(ctx.paths, "start", config);
    }
    reportStart(
      initError ?? (ready ? undefined : { message: "container init exited before starting", code }),
    );
    const status = await init.status();
    trace("exited");
    child = undefined;
    await relay?.stop();
    relay = undefined;
    await drain(pumps, 2000, fg && (() => fg.busy()));
    oom = cgroup?.oomKilled() ?? false;
    code = initError ? initError.code : status.code;
    if (initError && !stdio.onStarted) console.error(`tsbox: ${initError.message}`);
    return code;
  } catch (err) {
    const message = err instanceof TsboxError
      ? err.message
      : String((err as Error)?.message ?? err);
    initError ??= { message, code: exitCodeOf(err) };
    code = initError.code;
    reportStart(initError);
    throw err;
  } finally {
    if (early) await abandonEarlyInit(early); // failed before the spawn step
    for (const [sig, h] of forwarders) Deno.removeSignalListener(sig, h);
    joins?.close();
    if (child) {
      // setup failed after the spawn: the container must not outlive it
      await child.stop();
    }
    await relay?.stop();
    await drain(pumps, 2000, fg && (() => fg.busy()));
    await usermode?.stop();
    if (usermodeDir) Deno.removeSync(usermodeDir, { recursive: true });
    await hub?.close(spawned ? code : undefined);
    log.close();
    if (parentEnd >= 0) closeFd(parentEnd);
    trace("teardown");
    await updateState(ctx.paths, id, async (rec) => {
      let cleaned: ContainerConfig | undefined;
      try {
        cleaned = await teardownContainer(ctx, rec.config);
        // (a record about to be removed is not written first)
        if (cleaned !== rec.config && !stdio.removeAfter) writeConfig(ctx.paths, cleaned);
      } catch (err) {
        // the exit is still recorded; `start` and `rm` retry the teardown
        console.error(formatError(err));
      }
      // under the lock, before the exit is visible: a `stop` waiting for it logs "stop" after "die"
      if (spawned) {
        // docker's order: network disconnects (the teardown), volume unmounts, die
        if (mountsLogged) recordVolumeMounts(ctx.paths, "unmount", rec.config);
        if (oom) recordEvent(ctx.paths, "oom", rec.config);
        recordEvent(ctx.paths, "die", rec.config, { exitCode: String(code) });
      }
      if (cleaned && stdio.removeAfter) {
        stdio.removeAfter({ ...rec, config: cleaned });
        return undefined; // gone: no state to write
      }
      return {
        status: "exited",
        pid: 0,
        exitCode: code,
        oomKilled: oom,
        error: initError?.message,
        logError: log.failure, // the log could not be written (full disk): said, not fatal
        startedAt: rec.state.startedAt,
        finishedAt: new Date().toISOString(),
      };
    });
  }
}
