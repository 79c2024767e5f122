/**
 * Remove a container: stop it if asked (`-f`), tear down network and
 * cgroup, drop its anonymous volumes if asked (`-v`, `--rm`), then delete
 * its directory without crossing any mount. Works after tsbox or the
 * monitor was SIGKILLed: the kernel is asked what is alive.
 *
 * All of it happens under the container lock; the directory is first
 * renamed out of `containers/` so listings never see a half-deleted one.
 * @module
 */

import { thawAfterKill } from "./pause.ts";
import { join } from "node:path";
import type { CliContext } from "../cli/context.ts";
import { ContainerError } from "../errors.ts";
import { kill } from "../../ffi/process.ts";
import { removeAnonymousVolumes } from "../../volumes/cleanup.ts";
import { safeRemoveTree } from "../safe_remove.ts";
import { teardownContainer } from "./runner.ts";
import { type ContainerRecord, writeState } from "./store.ts";
import { isSameProcess } from "./proc.ts";
import { withContainerLock } from "./lock.ts";
import { type LiveState, liveView } from "./live.ts";
import type { Paths } from "../paths.ts";
import { exists } from "../fsutil.ts";

export { isRunning } from "./live.ts";

/** Prefix of a directory being deleted (renamed out of the listing first). */
export const TRASH_PREFIX = ".removing-";

/** Wait until `pid` (with `startTime`) is gone, up to `ms`. */
export async function waitGone(
  pid: number,
  startTime: number | undefined,
  ms: number,
): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isSameProcess(pid, startTime)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !isSameProcess(pid, startTime);
}

/**
 * Remove one container.
 * @throws {ContainerError} running and not `force` (docker's wording, exit 1).
 * @throws {NoSuchContainer} removed meanwhile.
 */
export async function removeContainer(
  ctx: CliContext,
  rec: ContainerRecord,
  opts: { force: boolean; volumes: boolean },
): Promise<void> {
  const id = rec.config.id;
  let supervisor: [number, number | undefined] | undefined;
  await withContainerLock(ctx.paths, id, async (cur) => {
    const view = liveView(cur);
    const state = cur.state as LiveState;
    if (state.monitorPid && state.monitorPid !== Deno.pid) {
      supervisor = [state.monitorPid, state.monitorStartTime];
    }
    if (view.running || view.starting) {
      if (!opts.force) {
        throw new ContainerError(
          `cannot remove container "/${cur.config.name}": container is running: stop the container before removing or force remove`,
          { exitCode: 1 },
        );
      }
      // PID 1 of the namespace: killing it makes the kernel kill every other
      // process in it. While starting there is no PID 1 yet: killing the
      // supervisor stops the start (its init sees EOF or dies with it).
      const [pid, start] = view.running
        ? [state.pid, state.pidStartTime]
        : [state.monitorPid!, state.monitorStartTime];
      kill(pid, 9);
      thawAfterKill(id); // a paused container only dies once thawed
      if (!(await waitGone(pid, start, 10_000))) {
        throw new ContainerError(`container ${id.slice(0, 12)} did not die after SIGKILL`);
      }
    }
    writeState(ctx.paths, id, { ...cur.state, status: "removing", pid: 0 });
    await teardownContainer(ctx, cur.config);
    if (opts.volumes) removeAnonymousVolumes(ctx.paths, cur.config.mounts, id);
    const trash = join(ctx.paths.containers, `${TRASH_PREFIX}${id}`);
    Deno.renameSync(cur.dir, trash);
    safeRemoveTree(ctx.kernel, trash);
  });
  // A monitor waits for this lock to record the exit, then finds the container
  // gone and exits: wait for it, so nothing of the container outlives `rm`.
  if (supervisor) await waitGone(supervisor[0], supervisor[1], 5_000);
}

/** Delete directories a crashed `rm` left renamed but not deleted. */
export function sweepTrash(ctx: CliContext, paths: Paths = ctx.paths): number {
  let n = 0;
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(paths.containers)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0; // no container was ever created
    throw err;
  }
  for (const e of entries) {
    if (!e.isDirectory || !e.name.startsWith(TRASH_PREFIX)) continue;
    const path = join(paths.containers, e.name);
    let f: Deno.FsFile;
    try {
      f = Deno.openSync(path, { read: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue; // its `rm` just finished
      throw err;
    }
    try {
      f.lockSync(true); // an `rm` still deleting it holds the lock: wait for it
      if (!exists(path)) continue;
      safeRemoveTree(ctx.kernel, path);
      n++;
    } finally {
      f.close();
    }
  }
  return n;
}
