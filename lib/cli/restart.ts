/**
 * `tsbox restart [-t S] [-s SIG] CONTAINER...` (also `container restart`):
 * stop (as `stop` does, with the container's stop signal and timeout)
 * then start detached; a stopped container is just started. Prints each
 * name, as docker does; exit 1 if any fails.
 * @module
 */

import type { Command } from "./context.ts";
import { ContainerError } from "../errors.ts";
import { parseStopArgs } from "./stop.ts";
import { findContainer } from "../container/lookup.ts";
import { stopContainer } from "../container/stop.ts";
import { startDetached } from "../container/detach.ts";
import { type LiveState, monitorAlive } from "../container/live.ts";
import { readContainer } from "../container/store.ts";
import { forEachRef } from "../container/cli_report.ts";
import { markManualStop } from "../container/restart_state.ts";
import { recordEvent } from "../container/events.ts";

const USAGE = `Usage: tsbox restart [OPTIONS] CONTAINER [CONTAINER...]

Restart one or more containers

Options:
  -s, --signal SIG     signal to stop with (default: its --stop-signal, the image's, else SIGTERM)
  -t, --time SECONDS   seconds to wait before killing (default: its --stop-timeout, else 10)

A container started with --rm is refused: stopping it removes it.`;

/** `tsbox restart`. */
export const main: Command = async (args, ctx) => {
  const a = parseStopArgs(args, "restart", USAGE);
  if (a.help) {
    console.log(USAGE);
    return 0;
  }
  return await forEachRef(a.refs, async (ref) => {
    const rec = findContainer(ctx.paths, ref);
    if (rec.config.spec.autoRemove) {
      throw new ContainerError(
        `cannot restart container ${ref}: it was started with --rm (stopping it removes it)`,
        { exitCode: 1 },
      );
    }
    markManualStop(ctx.paths, rec); // the old supervisor must not restart it on its own
    await stopContainer(ctx.paths, rec, a.options(rec));
    // the old supervisor finishes its teardown (network, cgroup) before the new one starts
    for (let i = 0; i < 500; i++) {
      const now = readContainer(ctx.paths, rec.config.id);
      if (!now || !monitorAlive(now.state as LiveState)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await startDetached(ctx, rec.config.id);
    recordEvent(ctx.paths, "restart", rec.config);
    return ref;
  });
};
