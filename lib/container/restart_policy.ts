/**
 * `--restart no|on-failure[:N]|always|unless-stopped` as docker parses and
 * applies it: which exits are restarted, how many times, and docker's
 * backoff (100 ms doubling to 1 min, back to 100 ms after a run of 10 s).
 * Pure.
 * @module
 */

import { UsageError } from "../errors.ts";

/** inspect's HostConfig.RestartPolicy. */
export interface RestartPolicy {
  Name: "no" | "always" | "unless-stopped" | "on-failure";
  MaximumRetryCount: number;
}

/** The policy of a container without `--restart`. */
export const NO_RESTART: RestartPolicy = { Name: "no", MaximumRetryCount: 0 };

/** True when `policy` (a record's `restartPolicy`) restarts at all. */
export function restarts(policy: RestartPolicy | undefined): boolean {
  return policy !== undefined && policy.Name !== "no";
}

/**
 * Parse a `--restart` value.
 * @throws {UsageError} docker's messages for a bad name or count (run/create: 125).
 */
export function parseRestartPolicy(value: string | undefined): RestartPolicy {
  if (value === undefined || value === "" || value === "no") return NO_RESTART;
  const [name, count, extra] = value.split(":");
  if (extra !== undefined) throw new UsageError(`invalid restart policy format: ${value}`);
  if (name !== "always" && name !== "unless-stopped" && name !== "on-failure") {
    throw new UsageError(`invalid restart policy: ${name}`, {
      hint: "use no, on-failure[:max-retries], always or unless-stopped",
    });
  }
  if (count !== undefined && name !== "on-failure") {
    throw new UsageError(`maximum retry count cannot be used with restart policy '${name}'`);
  }
  const n = count === undefined ? 0 : Number(count);
  if (!/^\d*$/.test(count ?? "") || !Number.isSafeInteger(n)) {
    throw new UsageError(`invalid restart policy format: maximum retry count must be an integer`);
  }
  return { Name: name, MaximumRetryCount: n };
}

/**
 * Should the supervisor start the container again after it exited with
 * `exitCode`, having restarted it `restarts` times already?
 * @param manuallyStopped `stop`/`kill` asked for this exit: never restarted.
 */
export function shouldRestart(
  p: RestartPolicy,
  exitCode: number,
  restarts: number,
  manuallyStopped: boolean,
): boolean {
  if (manuallyStopped) return false;
  switch (p.Name) {
    case "always":
    case "unless-stopped":
      return true;
    case "on-failure":
      return exitCode !== 0 && (p.MaximumRetryCount === 0 || restarts < p.MaximumRetryCount);
    default:
      return false;
  }
}

/** docker's delay before the next start: 100 ms doubling per restart, at most a minute. */
export function restartDelayMs(previousDelayMs: number, ranMs: number): number {
  if (previousDelayMs === 0 || ranMs >= 10_000) return 100;
  return Math.min(previousDelayMs * 2, 60_000);
}
