/**
 * `tsbox inspect [-f FORMAT] [--type container|image] NAME...` (and
 * `container inspect`): a JSON array like docker's; containers first, then
 * images. Missing names print `Error: No such object: X` (exit 1).
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { TsboxError, UsageError } from "../errors.ts";
import { findContainer, NoSuchContainer } from "../container/lookup.ts";
import { inspectContainer } from "../container/inspect_view.ts";
import { formatInspect, writeOut } from "../template/format.ts";
import { containerSize, imageSizes } from "../container/size.ts";
import { errorLine } from "../container/cli_report.ts";
import { ImageStore } from "../image/store.ts";
import { inspectImage } from "../image/inspect.ts";

const USAGE = `Usage: tsbox inspect [OPTIONS] NAME|ID [NAME|ID...]

Return low-level information on containers and images

Options:
  -f, --format FORMAT   'json' (one line) or a Go template: {{.State.Status}}, {{json .Config}},
                        {{index .Config.Labels "k"}}, {{range .Mounts}}…{{end}}, printf, …
  -s, --size            add SizeRw and SizeRootFs (bytes) to containers
      --type TYPE       only look for this type (container or image)

Exit status: 1 when a name is not found or the template fails on an object,
64 when the template does not parse (as docker).`;

/** One object by name, per `type`; undefined when there is none. */
function lookup(
  ctx: Parameters<Command>[1],
  ref: string,
  type: string | undefined,
  sizes: Map<string, number> | undefined,
): Record<string, unknown> | undefined {
  if (type !== "image") {
    try {
      const rec = findContainer(ctx.paths, ref);
      const obj = inspectContainer(ctx.paths, rec);
      if (!sizes) return obj;
      const s = containerSize(rec, sizes);
      return { ...obj, SizeRw: s.rw, SizeRootFs: s.rootFs };
    } catch (err) {
      if (!(err instanceof NoSuchContainer)) throw err;
    }
  }
  if (type !== "container") {
    const store = new ImageStore(ctx.paths);
    if (store.record(ref)) return inspectImage(store, ref);
  }
  return undefined;
}

/** `tsbox inspect`; `container inspect` passes `--type container`. */
export const main: Command = (args, ctx) => {
  const p = parseFlags(args, [
    { name: "format", short: "f", type: "string" },
    { name: "size", short: "s", type: "bool" },
    { name: "type", type: "string" },
    { name: "help", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return Promise.resolve(0);
  }
  if (!p.positionals.length) {
    throw new UsageError(`"inspect" requires at least 1 argument`, { hint: USAGE.split("\n")[0] });
  }
  const type = str(p, "type");
  if (type !== undefined && type !== "container" && type !== "image") {
    throw new UsageError(`"${type}" is not a valid value for --type`);
  }
  const found: Record<string, unknown>[] = [];
  const errors: string[] = [];
  const sizes = bool(p, "size") ? imageSizes(ctx.paths) : undefined;
  for (const ref of p.positionals) {
    try {
      const obj = lookup(ctx, ref, type, sizes);
      if (obj) found.push(obj);
      else errors.push(`Error: No such ${type ?? "object"}: ${ref}`);
    } catch (err) {
      // docker prints what it found and fails for the rest
      if (!(err instanceof TsboxError)) throw err;
      errors.push(errorLine(err, "Error: "));
    }
  }
  const out = formatInspect(str(p, "format"), found);
  writeOut(out.text);
  errors.push(...out.errors.map((e) => `tsbox: ${e}`));
  if (errors.length) console.error(errors.join("\n"));
  return Promise.resolve(errors.length ? 1 : 0);
};
