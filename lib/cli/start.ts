/**
 * `tsbox start [-a] [-i] [--detach-keys K] CONTAINER...`: start created or
 * exited containers again (on their preserved upper layer). Detached under
 * a monitor by default; `-a` runs one in the foreground with its output on
 * our stdio; `-ai` of a `-it` container is an attached start, as `run -it`
 * (under its monitor, the detach keys leave it running).
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { ContainerError, UsageError } from "../errors.ts";
import { findContainer } from "../container/lookup.ts";
import { liveView } from "../container/live.ts";
import { startDetached } from "../container/detach.ts";
import { startContainer } from "../container/runner.ts";
import { removeContainer } from "../container/remove.ts";
import { type ContainerRecord, readContainer } from "../container/store.ts";
import { daemonError, forEachRef } from "../container/cli_report.ts";
import { requireTerminal } from "./tty_check.ts";
import { daemonDetachKeys } from "../container/detach_keys.ts";
import { startAttached } from "./attach_client.ts";
import { restarts } from "../container/restart_policy.ts";

const USAGE = `Usage: tsbox start [OPTIONS] CONTAINER [CONTAINER...]

Start one or more stopped containers

Options:
  -a, --attach        attach STDOUT/STDERR (run in the foreground) and forward signals
      --detach-keys K attaching a -it container: the keys that detach (default "ctrl-p,ctrl-q")
  -i, --interactive   attach container's STDIN`;

/** `rec`, unless it is being (or was half) removed: that one is refused as docker does. */
function startable(rec: ContainerRecord): ContainerRecord {
  if (!rec.remover) return rec;
  throw new ContainerError(
    `container ${rec.config.id} is marked for removal and cannot be started`,
    { exitCode: 1 },
  );
}

/** `tsbox start`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "attach", short: "a", type: "bool" },
    { name: "interactive", short: "i", type: "bool" },
    { name: "detach-keys", type: "string" },
    { name: "help", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  if (!p.positionals.length) {
    throw new UsageError(`"start" requires at least 1 argument`, { hint: USAGE.split("\n")[0] });
  }
  const attach = bool(p, "attach") || bool(p, "interactive");
  if (attach) {
    if (p.positionals.length > 1) {
      throw new UsageError("you cannot start and attach multiple containers at once");
    }
    return await daemonError(async () => {
      const rec = startable(findContainer(ctx.paths, p.positionals[0]));
      const keys = daemonDetachKeys(str(p, "detach-keys")); // docker's daemon checks them
      if (liveView(rec).running) return 0; // docker: attaching to a running one; we only report
      if (bool(p, "interactive") && rec.config.spec.tty) requireTerminal();
      const id = rec.config.id;
      const spec = rec.config.spec;
      // under its monitor, this CLI attached: -ai of a -it container (detach keys), or one
      // with a restart policy (the monitor restarts it; the first run's exit code is ours)
      if (
        restarts(rec.config.restartPolicy) ||
        (bool(p, "interactive") && spec.tty && spec.interactive)
      ) {
        const autoRemove = spec.autoRemove ?? false; // its monitor removes it
        const stdin = bool(p, "interactive") && spec.interactive === true;
        return await startAttached(ctx, id, { tty: spec.tty === true, stdin, keys, autoRemove });
      }
      try {
        return await startContainer(ctx, id, { interactive: bool(p, "interactive") });
      } finally {
        const after = readContainer(ctx.paths, id);
        if (after?.config.spec.autoRemove) {
          await removeContainer(ctx, after, { force: true, volumes: true });
        }
      }
    });
  }
  return await forEachRef(
    p.positionals,
    async (ref) => {
      const rec = startable(findContainer(ctx.paths, ref));
      const v = liveView(rec);
      if (!v.running && !v.starting) await startDetached(ctx, rec.config.id);
      return ref;
    },
    undefined,
    "start",
  );
};
