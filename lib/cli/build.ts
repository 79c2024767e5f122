/**
 * `tsbox build [OPTIONS] CONTEXT`: build an image from a Dockerfile (see
 * lib/build/builder.ts). Progress goes to stderr; `-q` prints only the
 * image id on stdout. Errors exit 1 (docker). Needs root.
 * @module
 */

import { basename, join, resolve } from "../posix_path.ts";
import type { Command } from "./context.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { exitOne } from "./exit_one.ts";
import { formatReference, parseReference } from "../image/reference.ts";
import { buildImage } from "../build/builder.ts";
import { Progress } from "../build/progress.ts";

const USAGE = `Usage: tsbox build [OPTIONS] PATH

Build an image from a Dockerfile

Options:
      --build-arg list    Set build-time variables (KEY=VALUE)
  -f, --file string       Name of the Dockerfile (default: "PATH/Dockerfile"; "-" reads stdin)
      --network string    Network mode for RUN instructions (default "none")
      --no-cache          Do not use cache when building the image
      --platform string   Set the target platform (only the host's)
      --progress string   Type of progress output: plain, tty (default "plain")
      --pull              Always attempt to pull newer versions of base images
  -q, --quiet             Suppress the build output and print the image ID on success
  -t, --tag list          Name and optionally a tag (format: "name:tag")
      --target string     Set the target build stage to build`;

/** `tsbox build`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "build-arg", type: "list" },
    { name: "file", short: "f", type: "string" },
    { name: "network", type: "string" },
    { name: "no-cache", type: "bool" },
    { name: "platform", type: "string" },
    { name: "progress", type: "string" },
    { name: "pull", type: "bool" },
    { name: "quiet", short: "q", type: "bool" },
    { name: "tag", short: "t", type: "list" },
    { name: "target", type: "string" },
    { name: "help", short: "h", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  try {
    if (p.positionals.length !== 1) {
      throw new UsageError(`"tsbox build" requires exactly 1 argument`, {
        hint: "Usage: tsbox build [OPTIONS] PATH",
      });
    }
    const context = resolve(p.positionals[0]);
    if (/^[a-z]+:\/\//i.test(p.positionals[0]) || p.positionals[0] === "-") {
      throw new UsageError(`build: only a local directory can be the build context`);
    }
    let st: Deno.FileInfo;
    try {
      st = Deno.statSync(context);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new UsageError(`unable to prepare context: path "${p.positionals[0]}" not found`);
      }
      throw err;
    }
    if (!st.isDirectory) {
      throw new UsageError(
        `unable to prepare context: path "${p.positionals[0]}" is not a directory`,
      );
    }
    const tags = list(p, "tag").map((t) => {
      const r = parseReference(t);
      if (r.digest) throw new UsageError(`invalid tag "${t}": a digest is not a tag`);
      return formatReference(r);
    });
    const buildArgs = new Map<string, string>();
    for (const a of list(p, "build-arg")) {
      const eq = a.indexOf("=");
      if (eq === 0) throw new UsageError(`invalid --build-arg "${a}": empty name`);
      if (eq < 0) {
        // docker: `--build-arg NAME` takes the value from the environment
        if (ctx.env[a] !== undefined) buildArgs.set(a, ctx.env[a]);
      } else buildArgs.set(a.slice(0, eq), a.slice(eq + 1));
    }
    const progressMode = str(p, "progress") ?? "plain";
    if (!["plain", "tty", "auto"].includes(progressMode)) {
      throw new UsageError(`invalid --progress "${progressMode}": use plain or tty`);
    }
    const file = str(p, "file");
    const dockerfile = file === "-" ? await readStdin() : readDockerfile(
      file === undefined ? join(context, "Dockerfile") : resolve(file),
    );
    const quiet = bool(p, "quiet");
    const progress = new Progress((l) => console.error(l), quiet);
    const id = await buildImage(ctx, {
      context,
      dockerfile: {
        text: dockerfile,
        name: file === undefined || file === "-" ? "Dockerfile" : basename(file),
      },
      tags,
      buildArgs,
      target: str(p, "target"),
      noCache: bool(p, "no-cache"),
      pull: bool(p, "pull"),
      platform: str(p, "platform"),
      network: str(p, "network") ?? "none",
      progress,
    });
    progress.info(`writing image ${id} done`);
    for (const t of tags) progress.info(`naming to ${t} done`);
    if (quiet) console.log(id);
    return 0;
  } catch (err) {
    throw exitOne(err);
  }
};

function readDockerfile(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(`failed to read dockerfile: open ${path}: no such file or directory`);
    }
    throw err;
  }
}

async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}
