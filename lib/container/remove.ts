/**
 * Remove a container: stop it if asked (`-f`), tear down network and
 * cgroup, drop its anonymous volumes if asked (`-v`, `--rm`), then delete
 * its directory without crossing any mount. Works after tsbox or the
 * monitor was SIGKILLed: the kernel is asked what is alive.
 *
 * All of it happens under the container lock. The first change is one
 * rename of the directory to a trash name carrying the remover's pid and
 * start time: it needs no disk space (removal works on a full disk), it
 * is what `ps -a` shows as "Removal In Progress", and once the remover is
 * dead it shows "Dead" and `rm -f`/prune take the removal over. A record
 * that cannot be read is torn down by its id.
 * @module
 */

import { join } from "../posix_path.ts";
import { thawAfterKill } from "./pause.ts";
import type { CliContext } from "../cli/context.ts";
import { ContainerError } from "../errors.ts";
import { kill } from "../../ffi/process.ts";
import { removeAnonymousVolumes } from "../../volumes/cleanup.ts";
import { safeRemoveTree } from "../safe_remove.ts";
import { teardownContainer } from "./runner.ts";
import { type BrokenContainer, type ContainerRecord, readRecordAt, trashName } from "./store.ts";
import { isSameProcess, pidStartTime } from "./proc.ts";
import { withDirLock } from "./lock.ts";
import { recordEvent, recordVolumeMounts } from "./events.ts";
import { attachSocketPath, removeStaleClientSockets, removeStaleSocket } from "./attach_proto.ts";
import { type LiveState, liveView } from "./live.ts";
import type { Paths } from "../paths.ts";
import { NoSuchContainer } from "./lookup.ts";
import { cgroupName, openCgroups } from "../cgroup/mod.ts";
import { detachContainer } from "../net/mod.ts";
import type { ContainerState } from "./types.ts";
import { removeExitFile, removeRuntimeState } from "./conmon_files.ts";

export { isRunning } from "./live.ts";
export { TRASH_PREFIX } from "./store.ts";

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

/** Rename the container dir to this process's trash name; returns the new path. */
function claimForRemoval(paths: Paths, dir: string, id: string): string {
  const trash = join(paths.containers, trashName(id, { pid: Deno.pid, startTime: selfStart() }));
  Deno.renameSync(dir, trash);
  return trash;
}

let selfStartTime: number | undefined;
function selfStart(): number {
  return selfStartTime ??= pidStartTime(Deno.pid)!;
}

/** Kill PID 1 (or, while starting, the supervisor) and wait for it; refuse without `force`. */
async function stopForRemoval(
  id: string,
  name: string,
  state: LiveState,
  view: { running: boolean; starting: boolean },
  force: boolean,
): Promise<void> {
  if (!view.running && !view.starting) return;
  if (!force) {
    throw new ContainerError(
      `cannot remove container "/${name}": container is running: stop the container before removing or force remove`,
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

/**
 * Remove one container (a live record, or one whose remover died).
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
  await withDirLock(rec.dir, id, async (there) => {
    if (!there) throw new NoSuchContainer(id); // another remover finished it
    const cur = readRecordAt(rec.dir, id, rec.remover);
    const state = cur.state as LiveState;
    if (!cur.remover) {
      if (state.monitorPid && state.monitorPid !== Deno.pid) {
        supervisor = [state.monitorPid, state.monitorStartTime];
      }
      const view = liveView(cur);
      // the supervisor finds the record gone and logs nothing: the exit is logged here
      if (view.running && opts.force) recordEvent(ctx.paths, "kill", cur.config, { signal: "9" });
      await stopForRemoval(id, cur.config.name, state, view, opts.force);
      if (view.running) {
        recordVolumeMounts(ctx.paths, "unmount", cur.config);
        recordEvent(ctx.paths, "die", cur.config, { exitCode: "137" });
      }
    }
    const trash = claimForRemoval(ctx.paths, cur.dir, id);
    await teardownContainer(ctx, cur.config);
    discard(ctx, cur, trash, opts.volumes);
  });
  // A monitor waits for this lock to record the exit, then finds the container
  // gone and exits: wait for it, so nothing of the container outlives `rm`.
  if (supervisor) await waitGone(supervisor[0], supervisor[1], 5_000);
}

/** The rest of a removal, after the claim and the teardown: volumes, directory, sockets, event. */
function discard(ctx: CliContext, cur: ContainerRecord, trash: string, volumes: boolean): void {
  const id = cur.config.id;
  if (volumes) removeAnonymousVolumes(ctx.paths, cur.config.mounts, id);
  safeRemoveTree(ctx.kernel, trash);
  removeStaleSocket(attachSocketPath(ctx.paths, id)); // left by a monitor that was killed
  removeStaleClientSockets(ctx.paths, id); // left by an attached start's CLI that was killed
  recordEvent(ctx.paths, "destroy", cur.config);
}

/**
 * Remove a container that has just exited and been torn down, under the
 * lock its supervisor holds to record the exit (`run --rm` in the
 * foreground: one locked pass instead of the exit written and the record
 * read, locked and torn down again). Its anonymous volumes go when `volumes`.
 */
export function removeTornDown(ctx: CliContext, cur: ContainerRecord, volumes: boolean): void {
  discard(ctx, cur, claimForRemoval(ctx.paths, cur.dir, cur.config.id), volumes);
}

/** state.json of a broken record when it at least is readable. */
function readableState(dir: string): LiveState | undefined {
  try {
    const s = JSON.parse(Deno.readTextFileSync(join(dir, "state.json"))) as ContainerState;
    return s && typeof s === "object" ? s : undefined;
  } catch (err) {
    // the broken part (or missing): nothing to learn from it
    if (err instanceof SyntaxError || err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/**
 * Remove a container whose record cannot be read, by its id: a PID 1 the
 * state still names is killed (with `force`), then network (tsbox's own
 * record, the netns pin) and cgroup are torn down and the directory goes.
 * Anonymous volumes stay for `volume prune` (their list was in the record).
 * @throws {ContainerError} its PID 1 is alive and not `force`.
 * @throws {NoSuchContainer} removed meanwhile.
 */
export async function removeBroken(
  ctx: CliContext,
  b: BrokenContainer,
  force: boolean,
): Promise<void> {
  await withDirLock(b.dir, b.id, async (there) => {
    if (!there) throw new NoSuchContainer(b.id);
    const state = b.remover ? undefined : readableState(b.dir);
    if (state?.status === "running") {
      const running = state.pid > 0 && isSameProcess(state.pid, state.pidStartTime);
      const starting = state.pid === 0 && !!state.monitorPid &&
        isSameProcess(state.monitorPid, state.monitorStartTime);
      await stopForRemoval(b.id, b.id.slice(0, 12), state, { running, starting }, force);
    }
    const trash = claimForRemoval(ctx.paths, b.dir, b.id);
    await detachContainer(ctx.paths, b.id, ctx.kernel);
    const cg = openCgroups().open(cgroupName(b.id));
    if (cg) await cg.destroy();
    removeRuntimeState(ctx.paths, b.id);
    if (!ctx.rootless) removeExitFile(b.id); // rootless: never under conmon
    safeRemoveTree(ctx.kernel, trash);
  });
}
