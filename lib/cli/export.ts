/**
 * `tsbox export [-o FILE] CONTAINER`: write a container's filesystem as a
 * tar archive to FILE (atomically) or stdout. Errors exit 1. Needs root.
 * @module
 */

import { dirname, join } from "../posix_path.ts";
import type { Command } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { findContainer } from "../container/lookup.ts";
import { exportContainer } from "../container/export.ts";
import { removeIfExists } from "../fsutil.ts";
import { exitOne } from "./exit_one.ts";

const USAGE = `Usage: tsbox export [OPTIONS] CONTAINER

Export a container's filesystem as a tar archive

Options:
  -o, --output string   Write to a file, instead of STDOUT`;

async function writeAll(w: { write(b: Uint8Array): Promise<number> }, c: Uint8Array) {
  let off = 0;
  while (off < c.length) off += await w.write(c.subarray(off));
}

/** `tsbox export`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "output", short: "o", type: "string" },
    { name: "help", short: "h", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  try {
    if (p.positionals.length !== 1) {
      throw new UsageError(`"tsbox export" requires exactly 1 argument`, {
        hint: "Usage: tsbox export [OPTIONS] CONTAINER",
      });
    }
    const output = str(p, "output");
    const toStdout = output === undefined || output === "-";
    if (toStdout && Deno.stdout.isTerminal()) {
      throw new UsageError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    const rec = findContainer(ctx.paths, p.positionals[0]);
    if (toStdout) {
      await exportContainer(rec, (c) => writeAll(Deno.stdout, c));
      return 0;
    }
    const tmp = join(dirname(output!), `.${output!.split("/").pop()}.tmp-${crypto.randomUUID()}`);
    const f = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
    try {
      await exportContainer(rec, (c) => writeAll(f, c));
      f.close();
      Deno.renameSync(tmp, output!);
    } catch (err) {
      try {
        f.close();
      } catch (closeErr) {
        // already closed before the rename failed
        if (!(closeErr instanceof Deno.errors.BadResource)) throw closeErr;
      }
      removeIfExists(tmp);
      throw err;
    }
    return 0;
  } catch (err) {
    throw exitOne(err);
  }
};
