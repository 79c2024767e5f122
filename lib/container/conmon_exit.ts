/**
 * Hidden `__conmon-exit ID CLAIMPID`: conmon's `--exit-command`, run by
 * conmon (our parent) once the container exited — or its create failed —
 * and the exit file is written. It does what tsbox's own monitor does
 * after a run: record the exit in state.json (exit code from the exit
 * file or the create's error, OOM from the cgroup), tear down network,
 * cgroup and the runtime state, then remove the container (`--rm`) or
 * start it again under a new conmon (restart policy, with docker's
 * backoff). A run that is no longer this conmon's (removed, or started
 * again by someone else) is left alone.
 * @module
 */

import { recordEvent, recordVolumeMounts } from "./events.ts";
import type { Command } from "../cli/context.ts";
import { formatError, TsboxError } from "../errors.ts";
import { containerDir } from "../paths.ts";
import { cgroupName, openCgroups } from "../cgroup/mod.ts";
import { teardownContainer } from "./runner.ts";
import { readContainer, writeConfig } from "./store.ts";
import { updateState } from "./lock.ts";
import { type LiveState, UNKNOWN_EXIT } from "./live.ts";
import { readExitFile, readStartError, removeExitFile } from "./conmon_files.ts";
import { removeContainer } from "./remove.ts";
import { isSameProcess } from "./proc.ts";
import { kill } from "../../ffi/process.ts";
import { NO_RESTART, restartDelayMs, shouldRestart } from "./restart_policy.ts";
import { readRestartState, updateRestartState } from "./restart_state.ts";
import { waitRestart } from "./restart_wait.ts";
import { findConmon, startUnderConmon } from "./conmon.ts";

/** Hidden `__conmon-exit` entry. */
export const main: Command = async (args, ctx) => {
  const [id, claimArg] = args;
  if (!id || !/^\d+$/.test(claimArg ?? "")) {
    throw new TsboxError("__conmon-exit is internal to tsbox");
  }
  Deno.chdir("/"); // conmon ran us in the container dir, which --rm removes
  const claimPid = Number(claimArg);
  const conmonPid = Deno.ppid; // conmon forks the exit command and waits for it
  const dir = containerDir(ctx.paths, id);
  let recorded: LiveState | undefined;
  await updateState(ctx.paths, id, async (rec) => {
    const s = rec.state as LiveState;
    // this conmon's run (or its claim, when create failed before the CLI noted conmon's pid)
    if (s.status !== "running" || (s.monitorPid !== conmonPid && s.monitorPid !== claimPid)) {
      return undefined;
    }
    const exit = readExitFile(id);
    const failed = exit === undefined ? readStartError(dir) : undefined;
    // no exit file: create failed (or was killed) — after "ready" the init may be running
    if (exit === undefined && isSameProcess(s.pid, s.pidStartTime)) kill(s.pid, 9);
    const oom = openCgroups().open(cgroupName(id))?.oomKilled() ?? false;
    try {
      const cleaned = await teardownContainer(ctx, rec.config);
      if (cleaned !== rec.config) writeConfig(ctx.paths, cleaned);
    } catch (err) {
      // the exit is still recorded; `start` and `rm` retry the teardown
      console.error(formatError(err));
    }
    removeExitFile(id); // recorded now (a full root: the state is overwritten in place)
    // under the lock, before the exit is visible (as the Deno monitor logs them);
    // a pid means "ready" ran, which logged the volumes' mount events
    if (s.pid) recordVolumeMounts(ctx.paths, "unmount", rec.config);
    if (oom) recordEvent(ctx.paths, "oom", rec.config);
    recordEvent(ctx.paths, "die", rec.config, {
      exitCode: String(exit ?? failed?.code ?? UNKNOWN_EXIT),
    });
    recorded = {
      status: "exited",
      pid: 0,
      exitCode: exit ?? failed?.code ?? UNKNOWN_EXIT,
      oomKilled: oom,
      error: failed?.message ?? (exit === undefined ? "conmon recorded no exit code" : undefined),
      startedAt: s.startedAt,
      finishedAt: new Date().toISOString(),
      supervisor: "conmon",
    };
    return recorded;
  });
  if (!recorded) return 0;
  const rec = readContainer(ctx.paths, id);
  if (!rec) return 0; // rm -f took it meanwhile
  if (rec.config.spec.autoRemove) {
    await removeContainer(ctx, rec, { force: true, volumes: true });
    return 0;
  }
  // `update --restart` may have changed the policy since the start
  const policy = rec.config.restartPolicy ?? NO_RESTART;
  const rs = readRestartState(ctx.paths, id);
  if (!shouldRestart(policy, recorded.exitCode!, rs.restartCount, rs.manuallyStopped)) return 0;
  const conmon = findConmon(ctx.env);
  if (!conmon) throw new TsboxError("conmon is gone: the restart policy cannot start it again");
  // docker's backoff: 100 ms doubling, back to 100 ms after a run of 10 s
  const ran = Date.parse(recorded.finishedAt!) - Date.parse(recorded.startedAt ?? "");
  const delay = restartDelayMs(rs.restartCount === 0 ? 0 : rs.delayMs ?? 0, ran);
  if (!(await waitRestart(ctx, id, delay))) return 0; // stopped, killed or removed meanwhile
  updateRestartState(ctx.paths, id, {
    restartCount: rs.restartCount + 1,
    restarting: false,
    delayMs: delay,
  });
  await startUnderConmon(ctx, id, conmon, true);
  return 0;
};
