/**
 * `tsbox pull [-q] [--platform P] [--insecure-registry HOST] NAME[:TAG|@DIGEST]`:
 * download an image from its registry into the store (docker semantics:
 * progress on stdout, then `Digest:`/`Status:` lines and the full name;
 * `-q` prints only the name). Needs write access to the state root.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { formatReference, parseReference } from "../image/reference.ts";
import { pullImage } from "../registry/pull.ts";
import { parsePlatform } from "../registry/platform.ts";

const USAGE = `Usage: tsbox pull [OPTIONS] NAME[:TAG|@DIGEST]

Download an image from a registry.

Options:
  -q, --quiet                   print only the image name
      --platform string         pull this platform (os/arch[/variant]) instead of the host's
      --insecure-registry host  allow plain HTTP to this registry (repeatable;
                                also $TSBOX_INSECURE_REGISTRIES; loopback is always allowed)`;

/** `tsbox pull`: exit 0 on success; errors are thrown (exit 125). */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "quiet", short: "q", type: "bool" },
    { name: "platform", type: "string" },
    { name: "insecure-registry", type: "list" },
    { name: "help", short: "h", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  if (p.positionals.length !== 1) {
    throw new UsageError(`"tsbox pull" requires exactly 1 argument`, {
      hint: "Usage: tsbox pull [OPTIONS] NAME[:TAG|@DIGEST]",
    });
  }
  const ref = p.positionals[0];
  // validate before the first request so bad input changes nothing
  const name = formatReference(parseReference(ref));
  const platform = str(p, "platform");
  if (platform !== undefined) parsePlatform(platform);
  await pullImage(ctx.paths, ref, {
    quiet: bool(p, "quiet"),
    progress: "auto",
    platform,
    insecureRegistries: list(p, "insecure-registry"),
    output: Deno.stdout,
  });
  console.log(name);
  return 0;
};
