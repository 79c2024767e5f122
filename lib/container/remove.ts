/**
 * Remove a container: stop it if asked (`-f`), tear down network and
 * cgroup, drop its anonymous volumes if asked (`-v`, `--rm`), then delete
 * its directory without crossing any mount. Works after tsbox or the
 * monitor was SIGKILLed: the kernel is asked what is alive.
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { ContainerError } from "../errors.ts";
import { kill } from "../../ffi/process.ts";
import { removeAnonymousVolumes } from "../../volumes/cleanup.ts";
import { safeRemoveTree } from "../safe_remove.ts";
import { teardownContainer } from "./runner.ts";
import { type ContainerRecord, writeState } from "./store.ts";
import { isSameProcess } from "./proc.ts";
import { detachContainer } from "../net/mod.ts";

/** True when the recorded pid is this container's live PID 1. */
export function isRunning(rec: ContainerRecord): boolean {
  return rec.state.status === "running" && isSameProcess(rec.state.pid, rec.state.pidStartTime);
}

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
 * @throws {ContainerError} running and not `force` (docker's wording).
 */
export async function removeContainer(
  ctx: CliContext,
  rec: ContainerRecord,
  opts: { force: boolean; volumes: boolean },
): Promise<void> {
  const id = rec.config.id;
  if (isRunning(rec)) {
    if (!opts.force) {
      throw new ContainerError(
        `cannot remove container "${rec.config.name}": container is running: stop the container before removing or force remove`,
      );
    }
    // PID 1 of the namespace: killing it makes the kernel kill every other process in it
    kill(rec.state.pid, 9);
    if (!(await waitGone(rec.state.pid, rec.state.pidStartTime, 10_000))) {
      throw new ContainerError(`container ${id.slice(0, 12)} did not die after SIGKILL`);
    }
  }
  writeState(ctx.paths, id, { ...rec.state, status: "removing", pid: 0 });
  await teardownContainer(ctx, rec.config);
  await detachContainer(ctx.paths, id, ctx.kernel); // a record left by a SIGKILLed tsbox mid-attach
  if (opts.volumes) removeAnonymousVolumes(ctx.paths, rec.config.mounts, id);
  safeRemoveTree(ctx.kernel, rec.dir);
}
