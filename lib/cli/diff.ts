/**
 * `tsbox diff CONTAINER`: list the changed files of a container's
 * filesystem (`A`/`C`/`D` lines). Errors exit 1. Needs root.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { findContainer } from "../container/lookup.ts";
import { diffContainer } from "../container/diff.ts";
import { exitOne } from "./exit_one.ts";

/** `tsbox diff`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [{ name: "help", short: "h", type: "bool" }]);
  if (bool(p, "help")) {
    console.log(
      "Usage: tsbox diff CONTAINER\n\nInspect changes to files or directories on a container's filesystem",
    );
    return 0;
  }
  try {
    if (p.positionals.length !== 1) {
      throw new UsageError(`"tsbox diff" requires exactly 1 argument`, {
        hint: "Usage: tsbox diff CONTAINER",
      });
    }
    const changes = await diffContainer(findContainer(ctx.paths, p.positionals[0]));
    if (changes.length) console.log(changes.map((c) => `${c.kind} ${c.path}`).join("\n"));
    return 0;
  } catch (err) {
    throw exitOne(err);
  }
};
