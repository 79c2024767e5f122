/**
 * `tsbox cp [-a] [-L] [-q] SRC DEST`: copy files between a container and
 * the host (`CONTAINER:PATH`, a host path, or `-` for a tar on
 * stdin/stdout), running or stopped, with docker's rules. Errors exit 1.
 * Needs root.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { runCopy } from "../copy/copy.ts";
import { exitOne } from "./exit_one.ts";

const USAGE = `Usage: tsbox cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-
       tsbox cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH

Copy files/folders between a container and the local filesystem

Use '-' as the source to read a tar archive from stdin
and extract it to a directory destination in a container.
Use '-' as the destination to stream a tar archive of a
container source to stdout.

Options:
  -a, --archive       Archive mode (copy all uid/gid information)
  -L, --follow-link   Always follow symbol link in SRC_PATH
  -q, --quiet         Suppress progress output during copy`;

/** `tsbox cp`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "archive", short: "a", type: "bool" },
    { name: "follow-link", short: "L", type: "bool" },
    { name: "quiet", short: "q", type: "bool" },
    { name: "help", short: "h", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  try {
    if (p.positionals.length !== 2) {
      throw new UsageError(`"tsbox cp" requires exactly 2 arguments`, {
        hint: "Usage: tsbox cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-",
      });
    }
    await runCopy(ctx, p.positionals[0], p.positionals[1], {
      archive: bool(p, "archive"),
      follow: bool(p, "follow-link"),
      quiet: bool(p, "quiet"),
    });
    return 0;
  } catch (err) {
    throw exitOne(err);
  }
};
