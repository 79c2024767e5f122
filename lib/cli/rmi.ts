/**
 * `tsbox rmi [-f] IMAGE...` — untag and remove images (docker's rules; an
 * image a container uses is kept, `-f` only untags it).
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags } from "./flags.ts";
import { formatError, TsboxError, UsageError } from "../errors.ts";
import { ImageStore } from "../image/store.ts";
import { familiarName, parseReference } from "../image/reference.ts";

const HELP = `Usage: tsbox rmi [OPTIONS] IMAGE [IMAGE...]

Remove one or more images

Options:
  -f, --force      Force removal of the image
      --no-prune   Accepted for compatibility (layers are shared, never "parents")`;

/** Remove images; each failure is reported and the rest still processed. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "force", short: "f", type: "bool" },
    { name: "no-prune", type: "bool" },
    { name: "help", short: "h", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(HELP);
    return 0;
  }
  if (!p.positionals.length) {
    throw new UsageError(`"rmi" requires at least 1 argument`, { hint: HELP.split("\n")[0] });
  }
  const store = new ImageStore(ctx.paths);
  let code = 0;
  for (const ref of p.positionals) {
    try {
      const r = await store.remove(ref, { force: bool(p, "force") });
      for (const u of r.untagged) console.log(`Untagged: ${familiarName(parseReference(u))}`);
      for (const d of r.deleted) console.log(`Deleted: ${d}`);
    } catch (err) {
      // docker goes on with the other images and fails at the end
      if (!(err instanceof TsboxError)) throw err;
      console.error(formatError(err));
      code = 1; // docker: any failed name makes the command exit 1
    }
  }
  return code;
};
