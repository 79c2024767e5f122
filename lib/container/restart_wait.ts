/**
 * The restart policy's backoff, shared by the supervisors that restart
 * (tsbox's monitor loop, conmon's exit command): the record is held as
 * being started by the waiting process, so `start` cannot launch a second
 * supervisor, and handed back as exited for the next claim.
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { writeState } from "./store.ts";
import { updateRestartState } from "./restart_state.ts";
import { withContainerLock } from "./lock.ts";
import { NoSuchContainer } from "./lookup.ts";
import type { LiveState } from "./live.ts";
import { pidStartTime } from "./proc.ts";

/** Read-modify-write this container's state under its lock; undefined: unchanged or gone. */
async function hold(
  ctx: CliContext,
  id: string,
  fn: (s: LiveState) => LiveState | undefined,
): Promise<LiveState | undefined> {
  try {
    return await withContainerLock(ctx.paths, id, (rec) => {
      const next = fn(rec.state as LiveState);
      if (next) writeState(ctx.paths, id, next);
      return next;
    });
  } catch (err) {
    if (err instanceof NoSuchContainer) return undefined; // removed by rm -f
    throw err;
  }
}

/**
 * The backoff before a restart, visible as "Restarting" (restart.json) with
 * the container held as being started by this monitor, so `start` cannot
 * launch a second supervisor. False when `stop`/`kill`/`rm` came meanwhile.
 */
export async function waitRestart(ctx: CliContext, id: string, ms: number): Promise<boolean> {
  const me = { monitorPid: Deno.pid, monitorStartTime: pidStartTime(Deno.pid) };
  const held = await hold(
    ctx,
    id,
    (s) => s.status === "exited" ? { ...s, status: "running", pid: 0, ...me } : undefined,
  );
  if (!held) return false; // started by someone else, or removed
  updateRestartState(ctx.paths, id, { restarting: true });
  await new Promise((r) => setTimeout(r, ms));
  // hand the record back as exited: for the next claim, or for good if stopped meanwhile
  const back = await hold(
    ctx,
    id,
    (s) =>
      s.monitorPid === Deno.pid && s.pid === 0
        ? { ...s, status: "exited", monitorPid: undefined, monitorStartTime: undefined }
        : undefined,
  );
  const rs = updateRestartState(ctx.paths, id, { restarting: false });
  return !!back && !rs.manuallyStopped;
}
