/**
 * `tsbox ps [-a] [-q] [-l] [-n N] [--no-trunc] [--format F] [--filter k=v]`
 * (also `container ls`). Newest first; states come from the kernel.
 * @module
 */

import type { Command } from "./context.ts";
import { lazy } from "../lazy.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { FlagError, UsageError } from "../errors.ts";
import { scanContainers } from "../container/store.ts";
import {
  brokenRow,
  createdBounds,
  HEADERS,
  matchFilters,
  parseFilters,
  psRow,
} from "../container/ps_view.ts";
import { formatList, writeOut } from "../template/format.ts";
import { humanSize } from "../image/format.ts";

const USAGE = `Usage: tsbox ps [OPTIONS]

List containers

Options:
  -a, --all             show all containers (default shows just running)
  -f, --filter k=v      filter: id, name (regex), label=k[=v], status, exited, ancestor,
                        volume, network, before, since, health, publish, expose
      --format FORMAT   'table', 'json', 'table TEMPLATE' or a Go template
                        ({{.Names}}, {{.Label "k"}}, {{json .}}, range, if, printf, …)
  -n, --last N          show the N last created containers (includes all states)
  -l, --latest          show the latest created container (includes all states)
      --no-trunc        do not truncate output
  -q, --quiet           only display container IDs
  -s, --size            display sizes: writable layer (virtual: with the image)

Exit status: 1 for a bad --format template or --filter.`;

const DEFAULT_TABLE =
  "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

/** `tsbox ps`. */
export const main: Command = async (args, ctx) => {
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
    return 0;
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
      throw new FlagError(`invalid argument "${str(p, "last")}" for "-n, --last" flag`);
    }
  }
  // a status filter, -n and -l look at every container, as docker's do
  const all = bool(p, "all") || filters.has("status") || filters.has("exited") || last > 0;
  const noTrunc = bool(p, "no-trunc");
  const now = Date.now();
  const scan = scanContainers(ctx.paths);
  const records = scan.records;
  const bounds = createdBounds(filters, records);
  let rows = records
    .sort((a, b) => Date.parse(b.config.created) - Date.parse(a.config.created))
    .map((rec) => ({ rec, row: psRow(rec, noTrunc, now) }))
    .filter(({ rec, row }) =>
      (all || ["running", "restarting", "paused"].includes(row.State)) &&
      matchFilters(rec, row, filters, bounds)
    );
  if (last > 0) rows = rows.slice(0, last);
  // a record that cannot be read is listed as such (with the bad file) by -a, and by id filters
  const broken = scan.broken.map((b) => ({ rec: undefined, row: brokenRow(b, noTrunc) })).filter(
    ({ row }, i) =>
      all && last <= 0 && [...filters.keys()].every((k) => k === "id" || k === "status") &&
      (filters.get("id") ?? [""]).some((v) => scan.broken[i].id.includes(v)) &&
      (filters.get("status") ?? [row.State]).includes(row.State),
  );

  const fmt = str(p, "format");
  const allRows = [...rows.map(({ row }) => row), ...broken.map(({ row }) => row)];
  if (bool(p, "quiet") && (fmt === undefined || fmt.trim() === "table")) {
    writeOut(allRows.map((row) => row.ID + "\n").join(""));
    return 0;
  }
  const defaultTable = bool(p, "size") ? `${DEFAULT_TABLE}\t{{.Size}}` : DEFAULT_TABLE;
  if (bool(p, "size")) {
    // loaded only for -s: sizes walk the image store (its npm tar code is not needed to list)
    const { containerSize, imageSizes } = await lazy("container/size.ts");
    const images = imageSizes(ctx.paths);
    for (const r of rows) {
      const s = containerSize(r.rec, images);
      r.row.Size = `${humanSize(s.rw)} (virtual ${humanSize(s.rootFs)})`;
    }
  }
  writeOut(formatList(fmt, allRows, {
    defaultTable,
    headers: { ...HEADERS, Label: (_k: string) => "LABEL" },
    typeName: "*formatter.ContainerContext",
  }));
  return 0;
};
