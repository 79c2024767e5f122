/**
 * Hidden `__monitor ID [ATTACH_SOCKET]`: supervise one detached container
 * (and attach the CLI listening on ATTACH_SOCKET before it starts). Started by
 * `startDetached` with stdio on /dev/null; leaves the CLI's session so the
 * terminal's signals and hangup do not reach it; reports "started" (or the
 * failure) on the monitor socket, then runs the container with its output
 * in the json log, records the exit, and removes it when `--rm` asked.

 * Memory: one idle Deno isolate waiting on a child and two pipes, all
 * work synchronous or on the event loop; no buffering beyond one line.
 * @module
 */

import type { Command } from "../cli/context.ts";
import { exitCodeOf, formatError, TsboxError } from "../errors.ts";
import { closeFd, sendMsg, setCloexec } from "../../ffi/fds.ts";
import { setsid } from "../../ffi/process.ts";
import { type FromMonitor, MONITOR_FD_ENV } from "./detach.ts";
import { startContainer, type StartFailure } from "./runner.ts";
import { readContainer } from "./store.ts";
import { NO_RESTART, restartDelayMs, shouldRestart } from "./restart_policy.ts";
import { readRestartState, updateRestartState } from "./restart_state.ts";
import { waitRestart } from "./restart_wait.ts";
import { type HealthChecks, startHealthChecks } from "./health_monitor.ts";
import { removeContainer } from "./remove.ts";

/** Hidden `__monitor` entry. */
export const main: Command = async (args, ctx) => {
  const fd = Number(Deno.env.get(MONITOR_FD_ENV));
  const [id, attachTo] = args;
  if (!Number.isInteger(fd) || fd < 3 || !id) {
    throw new TsboxError("__monitor is internal to tsbox");
  }
  setCloexec(fd);
  Deno.env.delete(MONITOR_FD_ENV);
  setsid();
  Deno.chdir("/"); // do not keep the CLI's working directory busy

  let reported = false;
  const report = (m: FromMonitor) => {
    if (reported) return;
    reported = true;
    try {
      sendMsg(fd, new TextEncoder().encode(JSON.stringify(m)));
    } catch (err) {
      // the CLI was killed while waiting; the container runs on regardless
      console.error(formatError(err));
    }
    closeFd(fd);
  };
  let ran = false;
  const rec = readContainer(ctx.paths, id);
  try {
    if (!rec) throw new TsboxError(`No such container: ${id}`);
    // a start by the user: the policy counts from zero and may restart again
    updateRestartState(ctx.paths, id, {
      restartCount: 0,
      manuallyStopped: false,
      restarting: false,
    });
    let delay = 0;
    let first = true;
    const hc = rec.config.healthcheck;
    for (;;) {
      const t0 = Date.now();
      let checks: HealthChecks | undefined;
      const code = await startContainer(ctx, id, {
        interactive: rec.config.spec.interactive,
        log: true,
        attachable: true,
        attachTo: first ? attachTo : undefined, // a restart has no CLI waiting
        onStarted: (f?: StartFailure) => {
          ran = true;
          report(f ? { type: "error", ...f } : { type: "started" });
          if (!f && hc) checks = startHealthChecks(ctx, id, rec.dir, hc);
        },
      }).finally(() => checks?.stop());
      first = false;
      const now = readContainer(ctx.paths, id);
      const rs = readRestartState(ctx.paths, id);
      if (!now || now.state.status === "removing") break; // rm -f took it
      // `update --restart` may have changed the policy since the start
      const current = now.config.restartPolicy ?? NO_RESTART;
      if (!shouldRestart(current, code, rs.restartCount, rs.manuallyStopped)) break;
      delay = restartDelayMs(delay, Date.now() - t0);
      if (!(await waitRestart(ctx, id, delay))) break;
      updateRestartState(ctx.paths, id, { restartCount: rs.restartCount + 1, restarting: false });
    }
  } catch (err) {
    report({ type: "error", message: errorText(err), code: exitCodeOf(err) });
  } finally {
    // only a container this monitor ran: a refused start must not remove someone else's
    if (ran && rec?.config.spec.autoRemove) await autoRemove(ctx, id);
  }
  return 0;
};

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function autoRemove(ctx: Parameters<Command>[1], id: string): Promise<void> {
  const rec = readContainer(ctx.paths, id);
  if (!rec) return; // removed by `rm -f` meanwhile
  await removeContainer(ctx, rec, { force: true, volumes: true });
}
