/**
 * `tsbox ps [-a] [-q] [-l] [-n N] [--no-trunc] [--format F] [--filter k=v]`
 * (also `container ls`). Newest first; states come from the kernel.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { table } from "../image/format.ts";
import { scanContainers } from "../container/store.ts";
import {
  brokenRow,
  HEADERS,
  matchFilters,
  parseFilters,
  type PsRow,
  psRow,
} from "../container/ps_view.ts";
import { renderTemplate } from "../container/template.ts";

const USAGE = `Usage: tsbox ps [OPTIONS]

List containers

Options:
  -a, --all             show all containers (default shows just running)
  -f, --filter k=v      filter: id, name, status, exited, ancestor
      --format FORMAT   'table', 'json', 'table TEMPLATE' or a Go template
  -n, --last N          show the N last created containers (includes all states)
  -l, --latest          show the latest created container (includes all states)
      --no-trunc        do not truncate output
  -q, --quiet           only display container IDs
  -s, --size            display total file sizes (always 0B)`;

const DEFAULT_TABLE =
  "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

/** `tsbox ps`. */
export const main: Command = (args, ctx) => {
  const p = parseFlags(args, [
    { name: "all", short: "a", type: "bool" },
    { name: "quiet", short: "q", type: "bool" },
    { name: "no-trunc", type: "bool" },
    { name: "latest", short: "l", type: "bool" },
    { name: "last", short: "n", type: "string" },
    { name: "size", short: "s", type: "bool" },
    { name: "format", type: "string" },
    { name: "filter", short: "f", type: "list" },
    { name: "help", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return Promise.resolve(0);
  }
  if (p.positionals.length) {
    throw new UsageError(`"ps" accepts no arguments`, { hint: USAGE.split("\n")[0] });
  }
  const filters = parseFilters(list(p, "filter"));
  let last = bool(p, "latest") ? 1 : -1;
  if (str(p, "last") !== undefined) {
    const text = str(p, "last")!;
    last = Number(text);
    if (!/^-?[0-9]+$/.test(text) || !Number.isSafeInteger(last)) {
      throw new UsageError(`invalid argument "${str(p, "last")}" for "-n, --last"`);
    }
  }
  // a status filter, -n and -l look at every container, as docker's do
  const all = bool(p, "all") || filters.has("status") || filters.has("exited") || last > 0;
  const noTrunc = bool(p, "no-trunc");
  const now = Date.now();
  const scan = scanContainers(ctx.paths);
  let rows: { row: PsRow }[] = scan.records
    .sort((a, b) => Date.parse(b.config.created) - Date.parse(a.config.created))
    .map((rec) => ({ rec, row: psRow(rec, noTrunc, now) }))
    .filter(({ rec, row }) => (all || row.State === "running") && matchFilters(rec, row, filters));
  if (last > 0) rows = rows.slice(0, last);
  // a record that cannot be read is listed as such (with the bad file) by -a, and by id filters
  const broken = scan.broken.map((b) => ({ b, row: brokenRow(b, noTrunc) })).filter(({ b, row }) =>
    all && last <= 0 && [...filters.keys()].every((k) => k === "id" || k === "status") &&
    (filters.get("id") ?? [""]).some((v) => b.id.includes(v)) &&
    (filters.get("status") ?? [row.State]).includes(row.State)
  );
  rows = [...rows, ...broken];

  const out: string[] = [];
  const fmt = str(p, "format");
  if (bool(p, "quiet")) {
    for (const { row } of rows) out.push(row.ID);
  } else if (fmt === "json") {
    for (const { row } of rows) out.push(JSON.stringify(row));
  } else if (fmt !== undefined && !fmt.startsWith("table")) {
    for (const { row } of rows) out.push(renderTemplate(fmt, row));
  } else {
    const tpl = fmt === undefined || fmt.trim() === "table" ? DEFAULT_TABLE : fmt;
    const body = tpl.replace(/^table\s*/, "");
    const head = renderTemplate(body, HEADERS).split("\t");
    out.push(table([head, ...rows.map(({ row }) => renderTemplate(body, row).split("\t"))]));
  }
  if (out.length) console.log(out.join("\n"));
  return Promise.resolve(0);
};
