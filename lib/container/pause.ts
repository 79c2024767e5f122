/**
 * `pause` / `unpause`: freeze and thaw every process of a running
 * container through its cgroup (v1 freezer, v2 cgroup.freeze) with the
 * cgroup layer's `freeze()` / `thaw()`. Paused is what the kernel says
 * (`frozen()`), never a recorded flag. A SIGKILL to a paused container is
 * followed by a thaw, as docker does, so `kill`, `stop` and `rm -f` work
 * on it; `commit` holds a running container frozen while its files are read.
 * @module
 */

import { CgroupError, ContainerError } from "../errors.ts";
import { cgroupName, openCgroups } from "../cgroup/mod.ts";
import type { ContainerCgroup } from "../cgroup/mod.ts";
import type { ContainerRecord } from "./store.ts";
import { liveView } from "./live.ts";

function cgroupOf(id: string): ContainerCgroup | undefined {
  return openCgroups().open(cgroupName(id));
}

/** True when container `rec` is running and its cgroup is frozen (or freezing). */
export function isPaused(rec: ContainerRecord): boolean {
  if (!liveView(rec).running) return false;
  try {
    return cgroupOf(rec.config.id)?.frozen() ?? false;
  } catch (err) {
    // the cgroup went away with the container between the two reads
    if (err instanceof CgroupError || err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Freeze a running container; returns once the kernel reports it frozen.
 * Needs root.
 * @throws {ContainerError} not running or already paused (exit 1).
 * @throws {CgroupError} no freezer, or the freeze did not complete (thawed again).
 */
export async function pauseContainer(rec: ContainerRecord, ref: string): Promise<void> {
  if (!liveView(rec).running) {
    throw new ContainerError(`container ${ref} is not running`, { exitCode: 1 });
  }
  if (isPaused(rec)) {
    throw new ContainerError(`Container ${ref} is already paused`, { exitCode: 1 });
  }
  const cg = cgroupOf(rec.config.id);
  if (!cg) throw new CgroupError(`container ${ref} has no cgroup to freeze`);
  await cg.freeze();
}

/**
 * Thaw a paused container. Needs root.
 * @throws {ContainerError} not paused (exit 1).
 */
export function unpauseContainer(rec: ContainerRecord, ref: string): void {
  if (!isPaused(rec)) throw new ContainerError(`Container ${ref} is not paused`, { exitCode: 1 });
  cgroupOf(rec.config.id)!.thaw();
}

/** After a SIGKILL: thaw container `id` if it is frozen, so the kill takes effect. */
export function thawAfterKill(id: string): void {
  try {
    const cg = cgroupOf(id);
    if (cg?.frozen()) cg.thaw();
  } catch (err) {
    // gone already: the kill is done
    if (!(err instanceof CgroupError) && !(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/**
 * Run `fn` with the processes of `rec` frozen (`commit`), thawing in
 * `finally` so a failure never leaves the container paused. A container
 * that is not running, or already paused by the user, is left as it is.
 * Needs root.
 * @throws {CgroupError} the freeze failed (fn is not run).
 */
export async function withContainerPaused<T>(
  rec: ContainerRecord,
  fn: () => Promise<T>,
): Promise<T> {
  if (!liveView(rec).running || isPaused(rec)) return await fn();
  const cg = cgroupOf(rec.config.id);
  if (!cg) return await fn(); // exited since the check: nothing to hold still
  await cg.freeze();
  try {
    return await fn();
  } finally {
    cg.thaw();
  }
}
