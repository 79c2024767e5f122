/**
 * Signalling containers: `stop` (StopSignal or SIGTERM, SIGKILL after the
 * grace period), `kill -s`, and waiting until the exit is recorded — by the
 * supervisor, or known lost when the supervisor died too.
 * @module
 */

import { thawAfterKill } from "./pause.ts";
import type { Paths } from "../paths.ts";
import { ContainerError } from "../errors.ts";
import { kill } from "../../ffi/process.ts";
import { parseSignal } from "../signals.ts";
import { type ContainerRecord, readContainer } from "./store.ts";
import { type LiveState, type LiveView, liveView, monitorAlive } from "./live.ts";
import { waitGone } from "./remove.ts";
import { recordEvent } from "./events.ts";
import { signalName } from "./event_signal.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True once nothing will change the container's recorded exit any more. */
function settled(rec: ContainerRecord): boolean {
  const s = rec.state as LiveState;
  if (s.status !== "running") return true;
  const v = liveView(rec);
  return !v.running && !v.starting && !monitorAlive(s);
}

/**
 * Wait until container `id` is not running and its exit is recorded
 * (`timeoutMs` < 0: forever). Returns the final view, or undefined when it
 * was removed meanwhile.
 */
export async function waitExit(
  paths: Paths,
  id: string,
  timeoutMs = -1,
): Promise<LiveView | undefined> {
  const end = Date.now() + timeoutMs;
  for (let delay = 10;; delay = Math.min(delay * 2, 200)) {
    const rec = readContainer(paths, id);
    if (!rec) return undefined;
    if (settled(rec) || (timeoutMs >= 0 && Date.now() >= end)) return liveView(rec);
    await sleep(delay);
  }
}

/**
 * `stop`: send the stop signal to PID 1 (the kernel delivers it only if the
 * command handles it — docker's behaviour for PID 1), SIGKILL after
 * `timeoutSec` (< 0: wait forever), then wait for the recorded exit.
 * A container that is not running is left as it is.
 * @throws {UsageError} bad signal.
 */
export async function stopContainer(
  paths: Paths,
  rec: ContainerRecord,
  opts: { timeoutSec: number; signal?: string },
): Promise<void> {
  const sig = parseSignal(opts.signal ?? rec.config.stopSignal ?? "SIGTERM");
  let view = liveView(rec);
  // being started: its PID 1 is a moment away
  for (let i = 0; view.starting && i < 250; i++) {
    await sleep(20);
    const again = readContainer(paths, rec.config.id);
    if (!again) return;
    rec = again;
    view = liveView(rec);
  }
  const wasRunning = view.running;
  if (view.running) {
    const s = rec.state as LiveState;
    recordEvent(paths, "kill", rec.config, { signal: signalName(sig) });
    kill(s.pid, sig);
    const graceMs = opts.timeoutSec < 0 ? Infinity : opts.timeoutSec * 1000;
    if (!(await waitGone(s.pid, s.pidStartTime, graceMs))) {
      recordEvent(paths, "kill", rec.config, { signal: signalName(9) });
      kill(s.pid, 9);
      thawAfterKill(rec.config.id); // paused: the signals wait for a thaw
      if (!(await waitGone(s.pid, s.pidStartTime, 10_000))) {
        throw new ContainerError(
          `container ${rec.config.id.slice(0, 12)} did not die after SIGKILL`,
        );
      }
    }
  }
  await waitExit(paths, rec.config.id, 10_000);
  if (wasRunning) recordEvent(paths, "stop", rec.config);
}

/**
 * `kill`: send `signal` to PID 1; with `paths`, the kill event is logged
 * first (so it precedes the die the supervisor logs).
 * @throws {ContainerError} not running (docker's wording, exit 1).
 * @throws {UsageError} bad signal.
 */
export function killContainer(
  rec: ContainerRecord,
  ref: string,
  signal = "KILL",
  paths?: Paths,
): void {
  const sig = parseSignal(signal);
  const view = liveView(rec);
  if (!view.running) {
    throw new ContainerError(
      `cannot kill container: ${ref}: container ${rec.config.id} is not running`,
      { exitCode: 1 },
    );
  }
  const s = rec.state as LiveState;
  if (paths) recordEvent(paths, "kill", rec.config, { signal: signalName(sig) });
  kill(s.pid, sig);
  if (sig === 9) thawAfterKill(rec.config.id); // docker: SIGKILL unpauses a paused container
}
