/**
 * A container's health check as docker resolves it: `--health-cmd`,
 * `--health-interval`, `--health-timeout`, `--health-retries`,
 * `--health-start-period` over the image's HEALTHCHECK, `--no-healthcheck`
 * turning it off. Durations are Go durations (`30s`, `1m30s`, `500ms`).
 * Pure.
 * @module
 */

import { UsageError } from "../errors.ts";

/** inspect's Config.Healthcheck (docker's shape: durations in nanoseconds). */
export interface Healthcheck {
  /** `["CMD-SHELL", "cmd"]`, `["CMD", "prog", "arg"]`, or `["NONE"]`. */
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

/** The health check flags of run/create, as typed. */
export interface HealthFlags {
  cmd?: string;
  interval?: string;
  timeout?: string;
  retries?: string;
  startPeriod?: string;
  none: boolean;
}

const NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "µs": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 6e10,
  h: 3.6e12,
};

/**
 * A Go duration in nanoseconds.
 * @throws {UsageError} not a duration.
 */
export function parseGoDuration(flag: string, v: string): number {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) {
    throw new UsageError(
      `invalid argument "${v}" for "--${flag}" flag: time: invalid duration "${v}"`,
    );
  }
  let ns = 0;
  for (const [, n, u] of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ns += Number(n) * NS[u];
  return Math.round(ns);
}

/**
 * The effective check: flags over the image's; undefined when there is none.
 * @throws {UsageError} bad durations or retries, or --no-healthcheck with other health flags.
 */
export function resolveHealthcheck(
  f: HealthFlags,
  image: Healthcheck | undefined,
): Healthcheck | undefined {
  const tuned = f.interval ?? f.timeout ?? f.retries ?? f.startPeriod;
  if (f.none) {
    if (f.cmd !== undefined || tuned !== undefined) {
      throw new UsageError("--no-healthcheck conflicts with --health-* options");
    }
    return undefined;
  }
  const h: Healthcheck = { ...(image ?? { Test: [] }) };
  if (f.cmd !== undefined) h.Test = ["CMD-SHELL", f.cmd];
  const dur = (flag: string, v: string | undefined, min: number) => {
    if (v === undefined) return undefined;
    const ns = parseGoDuration(flag, v);
    if (ns !== 0 && ns < min) {
      throw new UsageError(`--${flag} cannot be less than ${min / 1e6}ms`);
    }
    return ns;
  };
  const set = (k: "Interval" | "Timeout" | "StartPeriod", v: number | undefined) => {
    if (v !== undefined) h[k] = v; // unset keys stay absent, as in docker's JSON
  };
  set("Interval", dur("health-interval", f.interval, 1e6));
  set("Timeout", dur("health-timeout", f.timeout, 1e6));
  set("StartPeriod", dur("health-start-period", f.startPeriod, 1e6));
  if (f.retries !== undefined) {
    if (!/^\d+$/.test(f.retries)) {
      throw new UsageError(`invalid argument "${f.retries}" for "--health-retries" flag`);
    }
    h.Retries = Number(f.retries);
  }
  if (!h.Test.length || h.Test[0] === "NONE") return undefined;
  if (h.Test[0] !== "CMD" && h.Test[0] !== "CMD-SHELL") {
    throw new UsageError(`unknown health check type ${h.Test[0]}`);
  }
  return h;
}

/** What the monitor runs: argv and timings in ms, with docker's defaults (30 s, 30 s, 3, 0). */
export function probePlan(h: Healthcheck): {
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
} {
  const ms = (ns: number | undefined, d: number) => (ns ? ns / 1e6 : d);
  return {
    argv: h.Test[0] === "CMD-SHELL"
      ? ["/bin/sh", "-c", h.Test.slice(1).join(" ")]
      : h.Test.slice(1),
    intervalMs: ms(h.Interval, 30_000),
    timeoutMs: ms(h.Timeout, 30_000),
    retries: h.Retries || 3,
    startPeriodMs: ms(h.StartPeriod, 0),
  };
}
