/**
 * The monitor's health probes: every interval, `tsbox exec` of the check
 * in the container (output and exit code captured, killed at the
 * timeout), the result folded into `health.json`. Needs root (exec).
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { type Healthcheck, probePlan } from "./health_config.ts";
import { type Health, nextHealth, STARTING, writeHealth } from "./health_state.ts";
import { recordEvent } from "./events.ts";
import { readContainer } from "./store.ts";

/** docker keeps at most this much of a probe's output. */
const MAX_OUTPUT = 4096;

async function probe(
  ctx: CliContext,
  id: string,
  argv: string[],
  timeoutMs: number,
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(ctx.self[0], {
    args: [...ctx.self.slice(1), "--root", ctx.paths.root, "exec", id, ...argv],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch (err) {
      // it exited between the timer firing and the kill
      if (!(err instanceof TypeError)) throw err;
    }
  }, timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  if (timedOut) {
    return { code: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)` };
  }
  const dec = new TextDecoder();
  const text = dec.decode(out.stdout) + dec.decode(out.stderr);
  return { code: out.code, output: text.slice(0, MAX_OUTPUT) };
}

/** A running health check; `stop` waits for a probe in flight. */
export interface HealthChecks {
  stop(): Promise<void>;
}

/** Log `health_status: STATUS` for container `id` (gone meanwhile: nothing to log). */
function healthEvent(ctx: CliContext, id: string, status: string): void {
  const rec = readContainer(ctx.paths, id);
  if (rec) recordEvent(ctx.paths, `health_status: ${status}`, rec.config);
}

/**
 * Probe container `id` (its directory `dir`) per `h` until stopped; the
 * first probe comes one interval after the start, as in docker.
 */
export function startHealthChecks(
  ctx: CliContext,
  id: string,
  dir: string,
  h: Healthcheck,
): HealthChecks {
  const plan = probePlan(h);
  let health: Health = STARTING;
  writeHealth(dir, health);
  const started = Date.now();
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;
  const tick = async () => {
    const start = new Date().toISOString();
    const r = await probe(ctx, id, plan.argv, plan.timeoutMs);
    if (stopped) return; // the container ended meanwhile: its last probe does not count
    const entry = {
      Start: start,
      End: new Date().toISOString(),
      ExitCode: r.code,
      Output: r.output,
    };
    const before = health.Status;
    health = nextHealth(health, entry, plan.retries, Date.now() - started < plan.startPeriodMs);
    writeHealth(dir, health);
    if (health.Status !== before) healthEvent(ctx, id, health.Status);
    timer = setTimeout(() => (inFlight = tick()), plan.intervalMs);
  };
  timer = setTimeout(() => (inFlight = tick()), plan.intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
