/**
 * `tsbox commit [-a AUTHOR] [-m MSG] [-c INSTRUCTION]… [-p=false] CONTAINER [REPO[:TAG]]`:
 * create a new image from a container's changes; prints the new image id.
 * Errors exit 1 (docker). Needs root.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { exitOne } from "./exit_one.ts";
import { findContainer } from "../container/lookup.ts";
import { commitContainer } from "../container/commit.ts";
import { applyChanges } from "../image/changes.ts";
import { parseReference } from "../image/reference.ts";

const USAGE = `Usage: tsbox commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]

Create a new image from a container's changes

Options:
  -a, --author string    Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")
  -c, --change list      Apply Dockerfile instruction to the created image
                         (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)
  -m, --message string   Commit message
  -p, --pause            Pause container during commit (default true)`;

/** `tsbox commit`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "author", short: "a", type: "string" },
    { name: "change", short: "c", type: "list" },
    { name: "message", short: "m", type: "string" },
    { name: "pause", short: "p", type: "bool" },
    { name: "help", short: "h", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  try {
    if (p.positionals.length < 1 || p.positionals.length > 2) {
      throw new UsageError(`"tsbox commit" requires at least 1 and at most 2 arguments`, {
        hint: "Usage: tsbox commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
      });
    }
    const [ref, name] = p.positionals;
    // everything the user typed is checked before a byte is written
    if (name !== undefined && parseReference(name).digest) {
      throw new UsageError(`refusing to create a tag with a digest reference: "${name}"`);
    }
    const changes = list(p, "change");
    applyChanges({}, changes);
    const rec = findContainer(ctx.paths, ref);
    const r = await commitContainer(ctx.paths, rec, {
      author: str(p, "author"),
      message: str(p, "message"),
      changes,
      pause: p.values.pause !== false,
      name,
    });
    console.log(r.id);
    return 0;
  } catch (err) {
    throw exitOne(err);
  }
};
