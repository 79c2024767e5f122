/**
 * What the restart policy needs beyond state.json, in `<dir>/restart.json`:
 * how often the supervisor restarted the container, whether `stop`/`kill`
 * asked for the last exit (never restarted then), and whether it is
 * waiting to restart. Written atomically; a missing file means none.
 * @module
 */

import { join } from "../posix_path.ts";
import type { Paths } from "../paths.ts";
import { containerDir } from "../paths.ts";
import { exists, readJsonIfExists, writeJsonAtomic } from "../fsutil.ts";
import { type ContainerRecord, RECORD_FILE } from "./store.ts";
import { restarts } from "./restart_policy.ts";

/** `restart.json`. */
export interface RestartState {
  /** Restarts by the policy since the last start by the user (inspect RestartCount). */
  restartCount: number;
  /** The user stopped or killed it: the policy does not restart it. */
  manuallyStopped: boolean;
  /** The supervisor is waiting out the backoff before the next start. */
  restarting: boolean;
  /** The backoff before the last restart (conmon's exit command keeps it here between runs). */
  delayMs?: number;
}

const NONE: RestartState = { restartCount: 0, manuallyStopped: false, restarting: false };

function file(paths: Paths, id: string): string {
  return join(containerDir(paths, id), "restart.json");
}

/** The restart state of container `id` (zeros when never written). */
export function readRestartState(paths: Paths, id: string): RestartState {
  return restartStateIn(containerDir(paths, id));
}

/** The restart state kept in container directory `dir`. */
export function restartStateIn(dir: string): RestartState {
  return { ...NONE, ...readJsonIfExists<Partial<RestartState>>(join(dir, "restart.json")) };
}

/**
 * `stop`/`kill`/`restart` by the user: the policy must not undo it.
 * Writes only for a container that has a restart policy.
 */
export function markManualStop(paths: Paths, rec: ContainerRecord): void {
  if (restarts(rec.config.restartPolicy)) {
    updateRestartState(paths, rec.config.id, { manuallyStopped: true });
  }
}

/** Update the restart state of container `id` (a container dir that is gone is left alone). */
export function updateRestartState(
  paths: Paths,
  id: string,
  change: Partial<RestartState>,
): RestartState {
  const next = { ...readRestartState(paths, id), ...change };
  // never re-create the directory of a container removed meanwhile (rm -f)
  if (!exists(join(containerDir(paths, id), RECORD_FILE))) return next;
  writeJsonAtomic(file(paths, id), next);
  return next;
}
