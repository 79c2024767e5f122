/**
 * `tsbox system boot`: what dockerd does when it starts — every container
 * whose policy is `always`, or `unless-stopped` and not stopped by the
 * user, and that is not running, is started again under a new monitor.
 * Run it once at boot (the README shows a systemd unit). Prints each name.
 * @module
 */

import type { CliContext } from "./context.ts";
import { bool, parseFlags } from "./flags.ts";
import { formatError, TsboxError, UsageError } from "../errors.ts";
import { listContainers } from "../container/store.ts";
import { liveView } from "../container/live.ts";
import { restartStateIn } from "../container/restart_state.ts";
import { startDetached } from "../container/detach.ts";

/** Usage of `system boot`. */
export const BOOT_USAGE = `Usage: tsbox system boot

Start the containers a restart policy keeps up: 'always' ones, and
'unless-stopped' ones not stopped by the user. Run once at boot.

Exit status: 1 if any of them failed to start (the others are started).`;

/** `tsbox system boot`. Requires root. */
export async function systemBoot(args: string[], ctx: CliContext): Promise<number> {
  const p = parseFlags(args, [{ name: "help", type: "bool" }]);
  if (bool(p, "help")) {
    console.log(BOOT_USAGE);
    return 0;
  }
  if (p.positionals.length) throw new UsageError('"system boot" accepts no arguments');
  let code = 0;
  for (const rec of listContainers(ctx.paths)) {
    const policy = rec.config.restartPolicy?.Name;
    if (policy !== "always" && policy !== "unless-stopped") continue;
    const v = liveView(rec);
    if (v.running || v.starting || v.status === "removing") continue;
    if (policy === "unless-stopped" && restartStateIn(rec.dir).manuallyStopped) continue;
    try {
      await startDetached(ctx, rec.config.id);
      console.log(rec.config.name);
    } catch (err) {
      // one container that cannot start must not keep the others down
      if (!(err instanceof TsboxError)) throw err;
      console.error(formatError(err));
      code = 1;
    }
  }
  return code;
}
