/**
 * `tsbox tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]` — give an image another name.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { ImageStore } from "../image/store.ts";

const HELP = `Usage: tsbox tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]

Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE`;

/** Tag an image. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [{ name: "help", short: "h", type: "bool" }]);
  if (bool(p, "help")) {
    console.log(HELP);
    return 0;
  }
  if (p.positionals.length !== 2) {
    throw new UsageError(`"tag" requires exactly 2 arguments`, { hint: HELP.split("\n")[0] });
  }
  await new ImageStore(ctx.paths).tag(p.positionals[0], p.positionals[1]);
  return 0;
};
