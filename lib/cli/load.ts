/**
 * `tsbox load [-i FILE] [-q]` — load images from a docker-archive or an OCI
 * image-layout tar (stdin when -i is not given, like docker). Needs root
 * (layers are unpacked with their owners and device nodes).
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { ImageError, UsageError } from "../errors.ts";
import { ImageStore } from "../image/store.ts";
import { loadArchive } from "../image/archive_load.ts";
import { namedArchiveError } from "../image/tar_read.ts";
import { familiarName, parseReference } from "../image/reference.ts";

const HELP = `Usage: tsbox load [OPTIONS]

Load an image from a tar archive (docker-archive or OCI layout) or STDIN

Options:
  -i, --input FILE   Read from tar archive file, instead of STDIN
  -q, --quiet        Suppress the load progress (the loaded names are still printed)`;

/** Open the input: a file, or stdin (refused when it is a terminal). */
function openInput(path: string | undefined): { src: AsyncIterable<Uint8Array>; what: string } {
  if (path === undefined || path === "-") {
    if (Deno.stdin.isTerminal()) {
      throw new UsageError("requested load from stdin, but stdin is empty", {
        hint: "use -i FILE or redirect stdin",
      });
    }
    return { src: Deno.stdin.readable, what: "load from stdin" };
  }
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new ImageError(`open ${path}: no such file or directory`, { cause: err });
    }
    throw err;
  }
  return { src: file.readable, what: `load ${path}` };
}

/** Load images. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "input", short: "i", type: "string" },
    { name: "quiet", short: "q", type: "bool" },
    { name: "platform", type: "list" },
    { name: "help", short: "h", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(HELP);
    return 0;
  }
  if (p.positionals.length) {
    throw new UsageError(`"load" accepts no arguments`, { hint: "use -i FILE" });
  }
  const { src, what } = openInput(str(p, "input"));
  const loaded = await loadArchive(new ImageStore(ctx.paths, ctx.kernel), src, what)
    .catch((err) => {
      throw namedArchiveError(what, err);
    });
  // docker's -q only silences progress: what was loaded is always printed
  for (const img of loaded) {
    if (!img.names.length) console.log(`Loaded image ID: ${img.id}`);
    for (const n of img.names) console.log(`Loaded image: ${familiarName(parseReference(n))}`);
  }
  return 0;
};
