/**
 * `tsbox history [-H=false] [--no-trunc] [-q] [--format T] IMAGE`: show an
 * image's history as docker does. `--format` takes `{{json .}}` and
 * `{{.Field}}` forms (ID, CreatedAt, CreatedSince, CreatedBy, Size, Comment)
 * and `table …`. Errors exit 1.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { ImageStore, noSuchImage } from "../image/store.ts";
import { historyRows, truncateCommand } from "../image/history_view.ts";
import { humanSize, renderTemplate, since, table } from "../image/format.ts";
import { shortId } from "../image/digest.ts";
import { exitOne } from "./exit_one.ts";

const USAGE = `Usage: tsbox history [OPTIONS] IMAGE

Show the history of an image

Options:
      --format string   Format output using a template ({{json .}}, {{.Field}}, table …)
  -H, --human           Print sizes and dates in human readable format (default true)
      --no-trunc        Don't truncate output
  -q, --quiet           Only show image IDs`;

/** `tsbox history`. */
export const main: Command = (args, ctx) => {
  const p = parseFlags(args, [
    { name: "format", type: "string" },
    { name: "human", short: "H", type: "bool" },
    { name: "no-trunc", type: "bool" },
    { name: "quiet", short: "q", type: "bool" },
    { name: "help", short: "h", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return Promise.resolve(0);
  }
  try {
    if (p.positionals.length !== 1) {
      throw new UsageError(`"tsbox history" requires exactly 1 argument`, {
        hint: "Usage: tsbox history [OPTIONS] IMAGE",
      });
    }
    const ref = p.positionals[0];
    const store = new ImageStore(ctx.paths);
    const record = store.record(ref);
    if (!record) throw noSuchImage(ref);
    const rows = historyRows(record, store.configOf(record.id));
    const human = p.values.human !== false;
    const noTrunc = bool(p, "no-trunc");
    const id = (v: string) => v === "<missing>" || noTrunc ? v : shortId(v);
    for (const r of rows) r.CreatedSince = since(r.CreatedAt);
    const out: string[] = [];
    if (bool(p, "quiet")) {
      for (const r of rows) out.push(id(r.ID));
    } else if (str(p, "format") !== undefined && !str(p, "format")!.startsWith("table")) {
      for (const r of rows) out.push(renderTemplate(str(p, "format")!, { ...r }));
    } else {
      const head = ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"];
      const lines = rows.map((r) => [
        id(r.ID),
        human ? r.CreatedSince! : r.CreatedAt,
        noTrunc ? r.CreatedBy : truncateCommand(r.CreatedBy),
        human ? humanSize(r.Size) : String(r.Size),
        r.Comment,
      ]);
      const fmt = str(p, "format");
      if (fmt) {
        out.push(renderTemplate(
          fmt.replace(/^table\s*/, ""),
          Object.fromEntries(
            ["ID", "CreatedSince", "CreatedBy", "Size", "Comment"].map((k) => [k, k.toUpperCase()]),
          ),
        ));
        for (const r of rows) out.push(renderTemplate(fmt.replace(/^table\s*/, ""), { ...r }));
      } else out.push(table([head, ...lines]));
    }
    console.log(out.join("\n"));
    return Promise.resolve(0);
  } catch (err) {
    throw exitOne(err);
  }
};
