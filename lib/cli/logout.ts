/**
 * `tsbox logout [SERVER]`: forget the credentials saved for a registry
 * (default docker.io). Needs write access to the state root.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { DOCKER_HUB } from "../image/reference.ts";
import { registryKey, removeCredentials } from "../registry/credentials.ts";

/** `tsbox logout`: exit 0 whether or not credentials were saved (docker's behaviour). */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [{ name: "help", short: "h", type: "bool" }]);
  if (bool(p, "help")) {
    console.log(
      "Usage: tsbox logout [SERVER]\n\nForget the credentials saved for a registry (default docker.io).",
    );
    return 0;
  }
  if (p.positionals.length > 1) throw new UsageError(`"tsbox logout" requires at most 1 argument`);
  const server = registryKey(p.positionals[0] ?? DOCKER_HUB);
  if (await removeCredentials(ctx.paths, server)) {
    console.log(`Removing login credentials for ${server}`);
  } else console.log(`Not logged in to ${server}`);
  return 0;
};
