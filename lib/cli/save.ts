/**
 * `tsbox save [-o FILE] IMAGE...` — write images as a docker-archive (the
 * docker 25+ layout: OCI layout + manifest.json) to FILE or stdout.
 * @module
 */

import { dirname, join } from "../posix_path.ts";
import type { Command } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { ImageStore } from "../image/store.ts";
import { planSave, writeArchive } from "../image/archive_save.ts";
import { removeIfExists } from "../fsutil.ts";

const HELP = `Usage: tsbox save [OPTIONS] IMAGE [IMAGE...]

Save one or more images to a tar archive (streamed to STDOUT by default)

Options:
  -o, --output FILE   Write to a file, instead of STDOUT`;

async function writeAll(
  w: { write(b: Uint8Array): Promise<number> },
  chunk: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < chunk.length) off += await w.write(chunk.subarray(off));
}

/** Save images. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "output", short: "o", type: "string" },
    { name: "platform", type: "string" },
    { name: "help", short: "h", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(HELP);
    return 0;
  }
  if (!p.positionals.length) {
    throw new UsageError(`"save" requires at least 1 argument`, { hint: HELP.split("\n")[0] });
  }
  const output = str(p, "output");
  if ((output === undefined || output === "-") && Deno.stdout.isTerminal()) {
    throw new UsageError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  const store = new ImageStore(ctx.paths);
  // resolve every image before creating the output, so a typo leaves no file
  const items = planSave(store, p.positionals);
  if (output === undefined || output === "-") {
    await writeArchive(store, items, (c) => writeAll(Deno.stdout, c));
    return 0;
  }
  const tmp = join(dirname(output), `.${output.split("/").pop()}.tmp-${crypto.randomUUID()}`);
  const f = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
  try {
    await writeArchive(store, items, (c) => writeAll(f, c));
    f.close();
    Deno.renameSync(tmp, output);
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
};
