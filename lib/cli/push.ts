/**
 * `tsbox push [--platform P] [-q] [--insecure-registry HOST] NAME[:TAG]`:
 * upload an image from the store to its registry (docker semantics:
 * progress on stdout, then `TAG: digest: sha256:… size: N`). Errors exit 1.
 * Needs read access to the state root and network access to the registry.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { ImageError, UsageError } from "../errors.ts";
import { exitOne } from "./exit_one.ts";
import { parseReference } from "../image/reference.ts";
import { pushImage, repositoryTags } from "../registry/push.ts";
import { parsePlatform } from "../registry/platform.ts";

const USAGE = `Usage: tsbox push [OPTIONS] NAME[:TAG]

Upload an image to a registry.

Options:
  -a, --all-tags                push every tag of the repository
      --platform string         push only if the image is of this platform (os/arch[/variant])
  -q, --quiet                   suppress verbose output
      --insecure-registry host  allow plain HTTP to this registry (repeatable;
                                also $TSBOX_INSECURE_REGISTRIES; loopback is always allowed)

Environment:
  TSBOX_PUSH_CHUNK_SIZE   bytes per PATCH of a chunked upload (default 16 MiB)`;

/** `tsbox push`: exit 0 on success, 1 on any failure (as docker). */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "all-tags", short: "a", type: "bool" },
    { name: "quiet", short: "q", type: "bool" },
    { name: "platform", type: "string" },
    { name: "insecure-registry", type: "list" },
    { name: "help", short: "h", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  try {
    if (p.positionals.length !== 1) {
      throw new UsageError(`"tsbox push" requires exactly 1 argument`, {
        hint: "Usage: tsbox push [OPTIONS] NAME[:TAG]",
      });
    }
    const ref = p.positionals[0];
    parseReference(ref);
    const platform = str(p, "platform");
    if (platform !== undefined) parsePlatform(platform);
    const chunkEnv = ctx.env.TSBOX_PUSH_CHUNK_SIZE;
    const chunkSize = chunkEnv === undefined ? undefined : Number(chunkEnv);
    if (chunkSize !== undefined && (!Number.isSafeInteger(chunkSize) || chunkSize < 1)) {
      throw new UsageError(`invalid TSBOX_PUSH_CHUNK_SIZE "${chunkEnv}": expected a byte count`);
    }
    const opts = {
      quiet: bool(p, "quiet"),
      platform,
      insecureRegistries: list(p, "insecure-registry"),
      chunkSize,
      output: Deno.stdout,
    };
    if (!bool(p, "all-tags")) {
      await pushImage(ctx.paths, ref, opts);
      return 0;
    }
    const tags = repositoryTags(ctx.paths, ref);
    if (!tags.length) {
      throw new ImageError(`An image does not exist locally with the tag: ${ref}`, { exitCode: 1 });
    }
    for (const t of tags) await pushImage(ctx.paths, t, { ...opts, allTags: true });
    return 0;
  } catch (err) {
    throw exitOne(err);
  }
};
