/**
 * `tsbox pause CONTAINER...` / `tsbox unpause CONTAINER...` (also under
 * `container`): freeze or thaw all processes of running containers.
 * Prints each name; exit 1 if any fails. Requires root.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { findContainer } from "../container/lookup.ts";
import { pauseContainer, unpauseContainer } from "../container/pause.ts";
import { forEachRef } from "../container/cli_report.ts";
import { recordEvent } from "../container/events.ts";

function command(verb: "pause" | "unpause"): Command {
  const usage = `Usage: tsbox ${verb} CONTAINER [CONTAINER...]

${verb === "pause" ? "Pause" : "Unpause"} all processes within one or more containers`;
  return async (args, ctx) => {
    const p = parseFlags(args, [{ name: "help", type: "bool" }]);
    if (bool(p, "help")) {
      console.log(usage);
      return 0;
    }
    if (!p.positionals.length) {
      throw new UsageError(`"${verb}" requires at least 1 argument`, {
        hint: usage.split("\n")[0],
      });
    }
    return await forEachRef(p.positionals, async (ref) => {
      const rec = findContainer(ctx.paths, ref);
      if (verb === "pause") await pauseContainer(rec, ref);
      else unpauseContainer(rec, ref);
      recordEvent(ctx.paths, verb, rec.config);
      return ref;
    });
  };
}

/** `tsbox pause`. */
export const main: Command = command("pause");

/** `tsbox unpause`. */
export const unpause: Command = command("unpause");
