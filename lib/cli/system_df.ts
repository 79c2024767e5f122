/**
 * `tsbox system df [-v] [--format F]`: disk used by images (unique layers),
 * containers (writable layers), local volumes and build cache (none), and
 * how much of it is reclaimable, as docker prints it. Reads only.
 * @module
 */

import type { CliContext } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { humanSize, since } from "../image/format.ts";
import { shortId } from "../image/digest.ts";
import { familiarName, parseReference } from "../image/reference.ts";
import { ImageStore } from "../image/store.ts";
import type { ImageSummary } from "../image/types.ts";
import { listContainers } from "../container/store.ts";
import { liveView } from "../container/live.ts";
import { psRow } from "../container/ps_view.ts";
import { listVolumes } from "../../volumes/store.ts";
import { volumeUsers } from "../../volumes/usage.ts";
import { treeSize } from "../../volumes/size.ts";
import { formatList, writeOut } from "../template/format.ts";

/** Usage of `system df`. */
export const DF_USAGE = `Usage: tsbox system df [OPTIONS]

Show tsbox disk usage

Options:
      --format FORMAT   "table", "json", "table TEMPLATE" or a Go template
                        ({{.Type}} {{.TotalCount}} {{.Active}} {{.Size}} {{.Reclaimable}})
  -v, --verbose         show detailed information on space usage`;

function reclaimable(bytes: number, total: number): string {
  return total > 0
    ? `${humanSize(bytes)} (${Math.floor((bytes * 100) / total)}%)`
    : humanSize(bytes);
}

/** Bytes of the unique layers of `images`. */
function layerBytes(images: ImageSummary[]): number {
  const seen = new Map<string, number>();
  for (const i of images) for (const l of i.record.layers) seen.set(l.diffId, l.tarSize);
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

/** Sizes measured once, shared by the summary and -v. */
function measure(ctx: CliContext) {
  const store = new ImageStore(ctx.paths);
  let images: ImageSummary[];
  try {
    images = store.list();
  } finally {
    store.close();
  }
  const containers = listContainers(ctx.paths).map((rec) => ({
    rec,
    running: liveView(rec).running,
    size: treeSize(`${rec.dir}/upper`),
  }));
  const usedImages = new Set(containers.map((c) => c.rec.config.image.id));
  const users = volumeUsers(ctx.paths);
  const volumes = listVolumes(ctx.paths).map((v) => ({
    v,
    links: users.get(v.meta.Name)?.length ?? 0,
    size: treeSize(v.mountpoint),
  }));
  return { images, containers, usedImages, volumes };
}

function summary(m: ReturnType<typeof measure>) {
  const active = m.images.filter((i) => m.usedImages.has(i.id));
  const imgSize = layerBytes(m.images);
  const ctrSize = m.containers.reduce((a, c) => a + c.size, 0);
  const ctrFree = m.containers.filter((c) => !c.running).reduce((a, c) => a + c.size, 0);
  const volSize = m.volumes.reduce((a, v) => a + v.size, 0);
  const volFree = m.volumes.filter((v) => !v.links).reduce((a, v) => a + v.size, 0);
  const row = (Type: string, total: number, act: number, size: number, free: string) => ({
    Active: String(act),
    Reclaimable: free,
    Size: humanSize(size),
    TotalCount: String(total),
    Type,
  });
  return [
    row(
      "Images",
      m.images.length,
      active.length,
      imgSize,
      reclaimable(imgSize - layerBytes(active), imgSize),
    ),
    row(
      "Containers",
      m.containers.length,
      m.containers.filter((c) => c.running).length,
      ctrSize,
      reclaimable(ctrFree, ctrSize),
    ),
    row(
      "Local Volumes",
      m.volumes.length,
      m.volumes.filter((v) => v.links).length,
      volSize,
      reclaimable(volFree, volSize),
    ),
    row("Build Cache", 0, 0, 0, "0B"),
  ];
}

function verbose(m: ReturnType<typeof measure>): string {
  const counts = new Map<string, number>();
  for (const c of m.containers) {
    counts.set(c.rec.config.image.id, (counts.get(c.rec.config.image.id) ?? 0) + 1);
  }
  const layerUsers = new Map<string, number>();
  for (const i of m.images) {
    for (const l of i.record.layers) layerUsers.set(l.diffId, (layerUsers.get(l.diffId) ?? 0) + 1);
  }
  const imgRows = m.images.flatMap((i) => {
    const total = i.record.layers.reduce((a, l) => a + l.tarSize, 0);
    const shared = i.record.layers.filter((l) => layerUsers.get(l.diffId)! > 1)
      .reduce((a, l) => a + l.tarSize, 0);
    const base = {
      ID: shortId(i.id),
      CreatedSince: since(i.created),
      Size: humanSize(total),
      SharedSize: humanSize(shared),
      UniqueSize: humanSize(total - shared),
      Containers: String(counts.get(i.id) ?? 0),
    };
    const names = i.tags.length ? i.tags : ["<none>:<none>"];
    return names.map((t) => {
      if (t === "<none>:<none>") return { ...base, Repository: "<none>", Tag: "<none>" };
      const r = parseReference(t);
      return {
        ...base,
        Repository: familiarName({ ...r, tag: undefined }),
        Tag: r.tag ?? "<none>",
      };
    });
  });
  const now = Date.now();
  const ctrRows = m.containers.map((c) => {
    const r = psRow(c.rec, false, now);
    return { ...r, Size: humanSize(c.size) };
  });
  const volRows = m.volumes.map((v) => ({
    Name: v.v.meta.Name,
    Links: String(v.links),
    Size: humanSize(v.size),
  }));
  const table = (tpl: string, rows: unknown[], headers: Record<string, string>) =>
    formatList(tpl, rows, { defaultTable: tpl, headers });
  return [
    "Images space usage:\n\n",
    table(
      "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
      imgRows,
      {
        Repository: "REPOSITORY",
        Tag: "TAG",
        ID: "IMAGE ID",
        CreatedSince: "CREATED",
        Size: "SIZE",
        SharedSize: "SHARED SIZE",
        UniqueSize: "UNIQUE SIZE",
        Containers: "CONTAINERS",
      },
    ),
    "\nContainers space usage:\n\n",
    table(
      "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}",
      ctrRows,
      {
        ID: "CONTAINER ID",
        Image: "IMAGE",
        Command: "COMMAND",
        LocalVolumes: "LOCAL VOLUMES",
        Size: "SIZE",
        RunningFor: "CREATED",
        Status: "STATUS",
        Names: "NAMES",
      },
    ),
    "\nLocal Volumes space usage:\n\n",
    table("table {{.Name}}\t{{.Links}}\t{{.Size}}", volRows, {
      Name: "VOLUME NAME",
      Links: "LINKS",
      Size: "SIZE",
    }),
    "\nBuild cache usage: 0B\n\n",
    "CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n",
  ].join("");
}

/** `tsbox system df`. */
export function systemDf(args: string[], ctx: CliContext): number {
  const p = parseFlags(args, [
    { name: "format", type: "string" },
    { name: "verbose", short: "v", type: "bool" },
    { name: "help", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(DF_USAGE);
    return 0;
  }
  if (p.positionals.length) throw new UsageError('"system df" accepts no arguments');
  const fmt = str(p, "format");
  if (bool(p, "verbose") && fmt !== undefined) {
    throw new UsageError("--format cannot be combined with --verbose in tsbox");
  }
  // a bad template fails before any size is measured
  if (fmt !== undefined) formatList(fmt, [], { defaultTable: "table", headers: {} });
  const m = measure(ctx);
  if (bool(p, "verbose")) {
    writeOut(verbose(m));
    return 0;
  }
  writeOut(formatList(fmt, summary(m), {
    defaultTable: "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
    headers: {
      Type: "TYPE",
      TotalCount: "TOTAL",
      Active: "ACTIVE",
      Size: "SIZE",
      Reclaimable: "RECLAIMABLE",
    },
    typeName: "*formatter.diskUsageContext",
  }));
  return 0;
}
