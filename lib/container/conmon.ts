/**
 * Detached containers under conmon (podman's monitor, ~2 MB per container
 * instead of a Deno process): the CLI writes the bundle and starts conmon,
 * which calls `tsbox-runc create` on it (lib/runc/tsbox_bundle.ts does
 * tsbox's steps), holds the container's stdio, writes its log (k8s-file),
 * and when it exits writes the exit file and runs `tsbox __conmon-exit`
 * (conmon_exit.ts: record, teardown, --rm, restart policy).
 *
 *   claim → bundle → conmon (double fork, pid file: recorded) → create
 *   (records the init's pid at "ready") → sync pipe: the pid or the failure.
 *
 * Unlike podman's, the tsbox bundle has no start gate for a `start` by the
 * CLI: the init starts as soon as create has exited and conmon is its
 * parent (and dies with conmon from then on), so a CLI killed at any
 * moment after conmon started leaves a container conmon runs and records.
 *
 * A container conmon cannot supervise as tsbox's monitor would (health
 * checks, json-file logs asked for by name or rotated over several files,
 * rootless) goes to the Deno monitor instead: `conmonUnfit` says why.
 * @module
 */

import { join } from "../posix_path.ts";
import type { CliContext } from "../cli/context.ts";
import { containerDir } from "../paths.ts";
import { ContainerError, TsboxError } from "../errors.ts";
import { closeFd, recvMsg, seqpacketPair, setCloexec } from "../../ffi/fds.ts";
import { type SpawnOutput, spawnOutput } from "../spawn_output.ts";
import { claim } from "./runner.ts";
import { writeStartBundle } from "./start_steps.ts";
import { updateState } from "./lock.ts";
import type { LiveState } from "./live.ts";
import { pidStartTime } from "./proc.ts";
import { waitGone } from "./remove.ts";
import { rotationOf } from "./log_config.ts";
import { k8sLogPath } from "./k8s_log.ts";
import type { ContainerConfig } from "./store.ts";
import {
  conmonPidFile,
  containerPidFile,
  EXIT_DIR,
  readStartError,
  resetConmonDir,
  runtimeRoot,
} from "./conmon_files.ts";
import { updateRestartState } from "./restart_state.ts";

/** Env var choosing the supervisor of detached containers: `conmon`, `deno`, or unset (auto). */
export const MONITOR_ENV = "TSBOX_MONITOR";
/** Env var naming the conmon executable (else searched on PATH and podman's libexec dirs). */
export const CONMON_ENV = "TSBOX_CONMON";

const LIBEXEC = ["/usr/libexec/podman/conmon", "/usr/local/libexec/podman/conmon"];

function isExecutable(p: string): boolean {
  try {
    const st = Deno.statSync(p);
    return st.isFile && ((st.mode ?? 0) & 0o111) !== 0;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return false; // not installed there
    }
    throw err;
  }
}

/** The conmon executable, or undefined when it is not installed. */
export function findConmon(env: Record<string, string>): string | undefined {
  if (env[CONMON_ENV]) return isExecutable(env[CONMON_ENV]) ? env[CONMON_ENV] : undefined;
  const dirs = (env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(":").filter(Boolean);
  return [...dirs.map((d) => join(d, "conmon")), ...LIBEXEC].find(isExecutable);
}

/**
 * Why container `config` is not to run under conmon (undefined: it is).
 * Pure but for looking conmon up.
 */
export function conmonUnfit(ctx: CliContext, config: ContainerConfig): string | undefined {
  const choice = ctx.env[MONITOR_ENV];
  if (choice === "deno") return `${MONITOR_ENV}=deno`;
  if (ctx.rootless) return "rootless containers are supervised by tsbox's monitor";
  if (config.healthcheck) return "health checks are run by tsbox's monitor";
  // `tsbox attach` writes to the container's stdin or its pty through tsbox's monitor
  if (config.spec.interactive || config.process.tty) {
    return "-i/-t containers are attached to through tsbox's monitor";
  }
  const net = (config.network as { opts?: { mode?: string } } | undefined)?.opts?.mode;
  if (net === "slirp4netns") return "a user-mode network lives as long as tsbox's monitor";
  if (net === "container") return "--network container: is joined by tsbox's monitor";
  const modes = config.namespaceModes as Record<string, string> | undefined;
  if (modes && Object.values(modes).some((m) => m.startsWith("container:") || m === "host")) {
    return "shared --pid/--ipc/--uts namespaces are joined by tsbox's monitor";
  }
  const driver = config.spec.logDriver;
  if (driver === "json-file" || driver === "local") {
    return `--log-driver ${driver} is written by tsbox's monitor (conmon writes k8s-file)`;
  }
  if ((rotationOf(config.logConfig)?.maxFile ?? 1) > 1) {
    return "conmon keeps one log file (max-file > 1 is tsbox's monitor's)";
  }
  if (!findConmon(ctx.env)) return "conmon is not installed";
  return undefined;
}

/** conmon's command line for container `config` (its bundle is `dir`). */
function conmonArgs(ctx: CliContext, config: ContainerConfig, dir: string): string[] {
  const id = config.id;
  const [exe, ...selfArgs] = ctx.self;
  const runtimeArgs = [...selfArgs, "__runc", "--root", runtimeRoot(ctx.paths)];
  const exitArgs = [...selfArgs, "--root", ctx.paths.root, "__conmon-exit", id, String(Deno.pid)];
  const rotation = rotationOf(config.logConfig);
  return [
    "--api-version",
    "1",
    "--cid",
    id,
    "--cuuid",
    id,
    "--name",
    config.name,
    "--runtime",
    exe,
    ...runtimeArgs.flatMap((a) => ["--runtime-arg", a]),
    "--bundle",
    dir,
    "--container-pidfile",
    containerPidFile(dir),
    "--conmon-pidfile",
    conmonPidFile(dir),
    "--log-path",
    config.logConfig?.Type === "none" ? "none" : `k8s-file:${k8sLogPath(ctx.paths, id)}`,
    ...(rotation ? ["--log-size-max", String(rotation.maxSize)] : []),
    "--exit-dir",
    EXIT_DIR,
    "--exit-command",
    exe,
    ...exitArgs.flatMap((a) => ["--exit-command-arg", a]),
    "--full-attach", // the attach socket in the bundle, not under /var/run/crio
    ...(config.spec.interactive ? ["--stdin"] : []),
    ...(config.process.tty ? ["--terminal"] : []),
  ];
}

/** conmon's sync message: the init's pid, or -1 and the runtime's stderr. */
function parseSync(data: Uint8Array): { data: number; message?: string } | undefined {
  if (!data.length) return undefined; // conmon exited without a word
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch (err) {
    if (err instanceof SyntaxError) return undefined; // not conmon's: treated as no answer
    throw err;
  }
}

/** Whether this start still owns the record (no `rm -f`, no exit recorded meanwhile). */
function ours(s: LiveState, monitorPid: number): boolean {
  return s.status === "running" && s.monitorPid === monitorPid;
}

/**
 * Start container `id` under conmon; resolves once its command runs.
 * `byPolicy`: a restart by the restart policy (its count is kept), not the user's start.
 * @throws {ContainerError} already running, conmon failed.
 * @throws {TsboxError} the start failed (message and exit code, as docker gives them).
 */
export async function startUnderConmon(
  ctx: CliContext,
  id: string,
  conmon: string,
  byPolicy = false,
): Promise<void> {
  const config = await claim(ctx, id);
  const dir = containerDir(ctx.paths, id);
  if (!byPolicy) {
    // a start by the user: the policy counts from zero and may restart again
    updateRestartState(ctx.paths, id, {
      restartCount: 0,
      manuallyStopped: false,
      restarting: false,
    });
  }
  let supervisor: { pid: number; start?: number } | undefined;
  try {
    writeStartBundle(ctx, config);
    resetConmonDir(dir, id);
    // conmon gets both ends: its one write to the sync socket must not fail (and conmon
    // abort) if this CLI is killed meanwhile; the init closes them before its exec
    const [parentEnd, childEnd] = seqpacketPair();
    let launched: SpawnOutput;
    try {
      // conmon forks its supervisor and exits
      launched = await spawnOutput(conmon, conmonArgs(ctx, config, dir), {
        env: { _OCI_SYNCPIPE: String(childEnd) },
        cwd: dir,
      });
    } finally {
      closeFd(childEnd);
      setCloexec(parentEnd);
    }
    let sync: ReturnType<typeof parseSync>;
    try {
      if (launched.code !== 0) {
        const why = new TextDecoder().decode(launched.stderr).trim();
        throw new ContainerError(`conmon failed (exit ${launched.code}): ${why}`);
      }
      const pid = Number(Deno.readTextFileSync(conmonPidFile(dir)).trim());
      supervisor = { pid, start: pidStartTime(pid) };
      // nothing is written from here on: create records the pids at "ready" (so a CLI
      // killed now leaves a container conmon runs; ps sees conmon's pid file meanwhile)
      sync = parseSync(await recvMsg(parentEnd));
    } finally {
      closeFd(parentEnd);
    }
    if (!sync || sync.data < 0) {
      const e = readStartError(dir); // before the exit command's --rm takes the dir
      // the exit command records the failure; wait for it, so what we report is what ps
      // shows (a restart by the policy does not: that exit command may restart it again)
      if (!byPolicy) await waitGone(supervisor.pid, supervisor.start, 30_000);
      throw new TsboxError(
        e?.message ?? sync?.message?.trim() ?? "conmon exited before the container started",
        { exitCode: e?.code ?? 125 },
      );
    }
    // create recorded the pid (and conmon as the supervisor) at "ready"; the init runs
    // once create has exited and conmon is its parent
  } catch (err) {
    if (!supervisor) await giveBack(ctx, id, err);
    else if (!byPolicy) await waitGone(supervisor.pid, supervisor.start, 30_000);
    throw err;
  }
}

/** Update the state when `monitorPid` still holds the start; false when it does not. */
async function recordState(
  ctx: CliContext,
  id: string,
  monitorPid: number,
  fn: (s: LiveState) => LiveState,
): Promise<boolean> {
  let held = false;
  await updateState(ctx.paths, id, (rec) => {
    const s = rec.state as LiveState;
    if (!ours(s, monitorPid)) return undefined;
    held = true;
    return fn(s);
  });
  return held;
}

/** Before conmon ran: record the failed start (the claim marked it as starting by us). */
async function giveBack(ctx: CliContext, id: string, err: unknown): Promise<void> {
  await recordState(ctx, id, Deno.pid, (s) => ({
    status: "exited",
    pid: 0,
    exitCode: err instanceof TsboxError ? err.exitCode : 125,
    error: err instanceof Error ? err.message : String(err),
    startedAt: s.startedAt,
    finishedAt: new Date().toISOString(),
  }));
}
