/**
 * `tsbox rm [-f] [-v] CONTAINER...`.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { findContainer, NoSuchContainer } from "../container/lookup.ts";
import { removeBroken, removeContainer } from "../container/remove.ts";
import { CorruptContainer } from "../container/store.ts";
import { forEachRef } from "../container/cli_report.ts";

const USAGE = `Usage: tsbox rm [OPTIONS] CONTAINER [CONTAINER...]

Remove one or more containers

Options:
  -f, --force     force the removal of a running container (uses SIGKILL)
  -v, --volumes   remove anonymous volumes associated with the container`;

/** `tsbox rm`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "force", short: "f", type: "bool" },
    { name: "volumes", short: "v", type: "bool" },
    { name: "link", short: "l", type: "bool" },
    { name: "help", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  if (!p.positionals.length) {
    throw new UsageError(`"rm" requires at least 1 argument`, { hint: USAGE.split("\n")[0] });
  }
  const force = bool(p, "force");
  return await forEachRef(
    p.positionals,
    async (ref) => {
      let rec;
      try {
        rec = findContainer(ctx.paths, ref);
      } catch (err) {
        // an unreadable record is torn down by its id
        if (!(err instanceof CorruptContainer)) throw err;
        await removeBroken(ctx, err.broken, force);
        return ref;
      }
      await removeContainer(ctx, rec, { force, volumes: bool(p, "volumes") });
      return ref;
    },
    // docker: `rm -f` of a container that does not exist is reported, not a failure
    (err) => force && err instanceof NoSuchContainer,
  );
};
