/**
 * `tsbox import [-c CHANGE]... [-m MSG] FILE|- [REPOSITORY[:TAG]]` — make a
 * single-layer image from a rootfs tarball (gzip, zstd or plain). Prints
 * the image id. Needs root (the layer is unpacked with owners and devices).
 * @module
 */

import type { Command } from "./context.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { ImageError, UsageError } from "../errors.ts";
import { ImageStore } from "../image/store.ts";
import { importRootfs } from "../image/import_rootfs.ts";
import { namedArchiveError } from "../image/tar_read.ts";
import { applyChanges } from "../image/changes.ts";
import { formatReference, parseReference } from "../image/reference.ts";

const HELP = `Usage: tsbox import [OPTIONS] file|- [REPOSITORY[:TAG]]

Import the contents from a tarball to create a filesystem image

Options:
  -c, --change list      Apply Dockerfile instruction to the created image
  -m, --message string   Set commit message for imported image`;

/** Import a rootfs tarball. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "change", short: "c", type: "list" },
    { name: "message", short: "m", type: "string" },
    { name: "platform", type: "string" },
    { name: "help", short: "h", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(HELP);
    return 0;
  }
  const [source, name, ...extra] = p.positionals;
  if (!source || extra.length) {
    throw new UsageError(`"import" requires 1 or 2 arguments: file|- [REPOSITORY[:TAG]]`, {
      hint: HELP.split("\n")[0],
    });
  }
  // validate everything before reading any input
  const names: string[] = [];
  if (name) {
    const r = parseReference(name);
    if (r.digest) {
      throw new UsageError(`refusing to create a tag with a digest reference: "${name}"`);
    }
    names.push(formatReference(r));
  }
  const config = applyChanges({}, list(p, "change"));
  if (/^https?:\/\//.test(source)) {
    throw new UsageError("importing from a URL is not supported", {
      hint: "download it, then import the file",
    });
  }
  let src: AsyncIterable<Uint8Array>;
  if (source === "-") {
    src = Deno.stdin.readable;
  } else {
    try {
      src = Deno.openSync(source).readable;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new ImageError(`open ${source}: no such file or directory`, { cause: err });
      }
      throw err;
    }
  }
  const comment = str(p, "message") ?? `Imported from ${source}`;
  const image = await importRootfs(new ImageStore(ctx.paths, ctx.kernel), src, {
    names,
    config,
    comment,
  }).catch((err) => {
    throw namedArchiveError(`import ${source === "-" ? "stdin" : source}`, err);
  });
  console.log(image.id);
  return 0;
};
