/**
 * `tsbox history [-H] [-q] [--no-trunc] [--format F] IMAGE` (also `image
 * history`): the image config's history, newest first, with the size of
 * the layer each non-empty step made, as docker prints it. Reads only.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { ImageStore, noSuchImage } from "../image/store.ts";
import { shortId } from "../image/digest.ts";
import { humanSize, since } from "../image/format.ts";
import { historyRows, truncateCommand } from "../image/history_view.ts";
import { formatList, writeOut } from "../template/format.ts";

const USAGE = `Usage: tsbox history [OPTIONS] IMAGE

Show the history of an image

Options:
      --format FORMAT   "table", "json", "table TEMPLATE" or a Go template
                        ({{.ID}} {{.CreatedSince}} {{.CreatedBy}} {{.Size}} {{.Comment}})
  -H, --human           print sizes and dates in human readable format (default true)
      --no-trunc        don't truncate output
  -q, --quiet           only show image IDs`;

const HEADERS = {
  ID: "IMAGE",
  CreatedSince: "CREATED",
  CreatedAt: "CREATED AT",
  CreatedBy: "CREATED BY",
  Size: "SIZE",
  Comment: "COMMENT",
};

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
  if (p.positionals.length !== 1) {
    throw new UsageError('"history" requires exactly 1 argument', { hint: USAGE.split("\n")[0] });
  }
  const human = p.values.human !== false; // -H defaults to true; --human=false prints raw
  const noTrunc = bool(p, "no-trunc");
  const store = new ImageStore(ctx.paths);
  let rows;
  try {
    const ref = p.positionals[0];
    const rec = store.record(ref);
    if (!rec) throw noSuchImage(ref);
    rows = historyRows(rec, store.configOf(rec.id)).map((r) => {
      const createdBy = r.CreatedBy.replaceAll("\t", " ");
      return {
        Comment: r.Comment,
        CreatedAt: r.CreatedAt,
        CreatedBy: noTrunc ? createdBy : truncateCommand(createdBy),
        CreatedSince: human ? since(r.CreatedAt) : r.CreatedAt,
        // docker knows only the top image's id; the steps below it are <missing>
        ID: r.ID === "<missing>" || noTrunc ? r.ID : shortId(r.ID),
        Size: human ? humanSize(r.Size) : String(r.Size),
      };
    });
  } finally {
    store.close();
  }
  const fmt = str(p, "format");
  if (bool(p, "quiet") && (fmt === undefined || fmt.trim() === "table")) {
    writeOut(rows.map((r) => r.ID + "\n").join(""));
    return Promise.resolve(0);
  }
  writeOut(formatList(fmt, rows, {
    defaultTable: "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
    headers: HEADERS,
    typeName: "*formatter.historyContext",
  }));
  return Promise.resolve(0);
};
