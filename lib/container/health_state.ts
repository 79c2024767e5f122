/**
 * Health of a running container (inspect's State.Health), kept in
 * `<dir>/health.json` by its monitor: `starting` until the first probe
 * passes, `healthy`, or `unhealthy` after `retries` failures in a row
 * (failures inside the start period do not count); the last 5 probes.
 * @module
 */

import { join } from "../posix_path.ts";
import { exists, readJsonIfExists, writeJsonAtomic } from "../fsutil.ts";
import { RECORD_FILE } from "./store.ts";

/** One probe. */
export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** State.Health. */
export interface Health {
  Status: "starting" | "healthy" | "unhealthy";
  FailingStreak: number;
  Log: HealthLogEntry[];
}

/** A fresh run: starting, no probes yet. */
export const STARTING: Health = { Status: "starting", FailingStreak: 0, Log: [] };

/** The health after one probe (pure). */
export function nextHealth(
  h: Health,
  probe: HealthLogEntry,
  retries: number,
  inStartPeriod: boolean,
): Health {
  const Log = [...h.Log, probe].slice(-5);
  if (probe.ExitCode === 0) return { Status: "healthy", FailingStreak: 0, Log };
  if (inStartPeriod && h.Status === "starting") return { ...h, Log };
  const FailingStreak = h.FailingStreak + 1;
  return { Status: FailingStreak >= retries ? "unhealthy" : h.Status, FailingStreak, Log };
}

/** The health recorded in container directory `dir`, if any. */
export function healthIn(dir: string): Health | undefined {
  return readJsonIfExists<Health>(join(dir, "health.json"));
}

/** Record `h` for the container in `dir` (never re-creating a removed container's dir). */
export function writeHealth(dir: string, h: Health): void {
  if (!exists(join(dir, RECORD_FILE))) return;
  writeJsonAtomic(join(dir, "health.json"), h);
}
