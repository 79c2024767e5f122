/**
 * `tsbox create [OPTIONS] IMAGE [COMMAND] [ARG...]`: same flags as `run`;
 * prints the new container's id.
 * @module
 */

import type { Command } from "./context.ts";
import { parseFlags } from "./flags.ts";
import { FlagError, UsageError } from "../errors.ts";
import { parseRunArgs, RUN_FLAGS, RUN_USAGE } from "./run_flags.ts";
import { createContainer } from "../container/create.ts";
import { checkCidfile, writeCidfile } from "./cidfile.ts";

/** `tsbox create`. */
export const main: Command = async (args, ctx) => {
  const pre = parseFlags(args, RUN_FLAGS, true);
  if (pre.values.help) {
    console.log(RUN_USAGE.replace("tsbox run", "tsbox create").replace("and run a new", "a new"));
    return 0;
  }
  if (!pre.positionals.length) {
    throw new UsageError(`"create" requires at least 1 argument`, {
      hint: "tsbox create [OPTIONS] IMAGE [COMMAND] [ARG...]",
    });
  }
  const r = parseRunArgs(args, ctx.env);
  // run's flag (it attaches); docker's create has none
  if (r.detachKeys !== undefined) throw new FlagError("unknown flag: --detach-keys");
  checkCidfile(r.cidfile);
  // -d means nothing to create; `start` decides how the container runs
  const config = await createContainer(ctx, { ...r.spec, detach: false }, {
    pull: r.pull,
    platform: r.platform,
    quiet: r.quiet,
  });
  writeCidfile(r.cidfile, config.id);
  console.log(config.id);
  return 0;
};
