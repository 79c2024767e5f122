/**
 * `tsbox images [-a] [-q] [--digests] [--no-trunc] [--format json|TEMPLATE]
 * [-f dangling=true|reference=PATTERN] [REPOSITORY[:TAG]]` — list images.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { FilterError, ImageError, UsageError } from "../errors.ts";
import { anyOf, boolFilter, type Filters, matchLabels, parseFilters } from "../filters.ts";
import { formatList, writeOut } from "../template/format.ts";
import { ImageStore } from "../image/store.ts";
import { familiarName, parseReference, repositoryOf } from "../image/reference.ts";
import { humanSize, since } from "../image/format.ts";
import { shortId } from "../image/digest.ts";
import type { ImageSummary } from "../image/types.ts";

const HELP = `Usage: tsbox images [OPTIONS] [REPOSITORY[:TAG]]

List images

Options:
  -a, --all             Show all images (no intermediate images exist in tsbox)
      --digests         Show digests
  -f, --filter FILTER   dangling=true|false, reference=PATTERN, label=k[=v],
                        before=IMAGE, since=IMAGE
      --format FORMAT   "table", "json", "table TEMPLATE" or a Go template
                        like '{{.Repository}}:{{.Tag}}'
      --no-trunc        Don't truncate output
  -q, --quiet           Only show image IDs`;

/** One output row (docker's field names). */
interface Row {
  Repository: string;
  Tag: string;
  Digest: string;
  ID: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  fullId: string;
}

function rowsOf(images: ImageSummary[], noTrunc: boolean): Row[] {
  const rows: Row[] = [];
  for (const img of images) {
    const base = {
      ID: noTrunc ? img.id : shortId(img.id),
      fullId: img.id,
      CreatedSince: since(img.created),
      CreatedAt: img.created ?? "",
      Size: humanSize(img.size),
    };
    const digestFor = (repo: string) =>
      img.repoDigests.find((d) => repositoryOf(parseReference(d)) === repo)?.split("@")[1] ??
        "<none>";
    for (const t of img.tags) {
      const r = parseReference(t);
      const fam = familiarName({ ...r, tag: undefined });
      rows.push({
        ...base,
        Repository: fam,
        Tag: r.tag ?? "<none>",
        Digest: digestFor(repositoryOf(r)),
      });
    }
    // repositories known only by digest still get a row, like docker
    const tagged = new Set(img.tags.map((t) => repositoryOf(parseReference(t))));
    for (const d of img.repoDigests) {
      const r = parseReference(d);
      if (tagged.has(repositoryOf(r))) continue;
      tagged.add(repositoryOf(r));
      rows.push({
        ...base,
        Repository: familiarName({ ...r, digest: undefined, tag: undefined }),
        Tag: "<none>",
        Digest: r.digest!,
      });
    }
    if (!img.tags.length && !img.repoDigests.length) {
      rows.push({ ...base, Repository: "<none>", Tag: "<none>", Digest: "<none>" });
    }
  }
  return rows;
}

const IMAGE_FILTER_KEYS = ["dangling", "reference", "label", "before", "since"] as const;

function matchFilters(
  row: Row,
  img: ImageSummary | undefined,
  f: Filters,
  ctx: { labels: (id: string) => Record<string, string>; before?: number; since?: number },
  positional?: string,
): boolean {
  const dangling = !img?.tags.length && !img?.repoDigests.length;
  const created = Date.parse(img?.created ?? "");
  if (!anyOf(f, "dangling", (v) => boolFilter("dangling", v) === dangling)) return false;
  if (
    !anyOf(
      f,
      "reference",
      (v) => globMatch(v, `${row.Repository}:${row.Tag}`) || globMatch(v, row.Repository),
    )
  ) return false;
  if (f.has("label") && !matchLabels(ctx.labels(row.fullId), f.get("label"))) return false;
  if (ctx.before !== undefined && !(created < ctx.before)) return false;
  if (ctx.since !== undefined && !(created > ctx.since)) return false;
  if (positional) {
    const hasTag = /:[^/]*$/.test(positional);
    const r = parseReference(positional);
    const fam = familiarName({ ...r, tag: undefined, digest: undefined });
    if (row.Repository !== fam) return false;
    if (hasTag && row.Tag !== r.tag) return false;
  }
  return true;
}

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(
    `^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, ".")}$`,
  );
  return re.test(s);
}

/** Creation time of the image `ref` names, for before/since. */
function imageTime(store: ImageStore, ref: string, key: string): number {
  const rec = store.record(ref);
  if (!rec) throw new FilterError(`invalid filter '${key}=${ref}': No such image: ${ref}`);
  const t = Date.parse(store.configOf(rec.id).created ?? "");
  return Number.isNaN(t) ? 0 : t;
}

const HEADERS = {
  Containers: "CONTAINERS",
  CreatedAt: "CREATED AT",
  CreatedSince: "CREATED",
  Digest: "DIGEST",
  ID: "IMAGE ID",
  Repository: "REPOSITORY",
  SharedSize: "SHARED SIZE",
  Size: "SIZE",
  Tag: "TAG",
  UniqueSize: "UNIQUE SIZE",
  VirtualSize: "VIRTUAL SIZE",
};

/** List images. */
export const main: Command = (args, ctx) => {
  const p = parseFlags(args, [
    { name: "all", short: "a", type: "bool" },
    { name: "quiet", short: "q", type: "bool" },
    { name: "digests", type: "bool" },
    { name: "no-trunc", type: "bool" },
    { name: "format", type: "string" },
    { name: "filter", short: "f", type: "list" },
    { name: "help", short: "h", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(HELP);
    return Promise.resolve(0);
  }
  if (p.positionals.length > 1) {
    throw new UsageError('"images" accepts at most 1 argument', { hint: HELP.split("\n")[0] });
  }
  const filters = parseFilters(list(p, "filter"), IMAGE_FILTER_KEYS);
  for (const v of filters.get("dangling") ?? []) boolFilter("dangling", v);
  const positional = p.positionals[0];
  if (positional) parseReference(positional); // a bad reference is a usage error before anything is read
  const store = new ImageStore(ctx.paths);
  const images = store.list();
  const byId = new Map(images.map((i) => [i.id, i]));
  const labels = (id: string): Record<string, string> => {
    try {
      return store.configOf(id).config?.Labels ?? {};
    } catch (err) {
      // a record whose config went missing has no labels to match
      if (!(err instanceof ImageError)) throw err;
      return {};
    }
  };
  const at = (key: string) => {
    const ts = (filters.get(key) ?? []).map((r) => imageTime(store, r, key));
    return ts.length ? (key === "before" ? Math.min(...ts) : Math.max(...ts)) : undefined;
  };
  const fctx = { labels, before: at("before"), since: at("since") };
  const rows = rowsOf(images, bool(p, "no-trunc")).filter((r) =>
    matchFilters(r, byId.get(r.fullId), filters, fctx, positional)
  );
  if (bool(p, "quiet")) {
    writeOut([...new Set(rows.map((r) => r.ID))].map((id) => id + "\n").join(""));
    return Promise.resolve(0);
  }
  const docker = rows.map(({ fullId: _, ...r }) => ({
    Containers: "N/A",
    CreatedAt: r.CreatedAt,
    CreatedSince: r.CreatedSince,
    Digest: r.Digest,
    ID: r.ID,
    Repository: r.Repository,
    SharedSize: "N/A",
    Size: r.Size,
    Tag: r.Tag,
    UniqueSize: "N/A",
    VirtualSize: r.Size,
  }));
  const digests = bool(p, "digests") ? "\t{{.Digest}}" : "";
  writeOut(formatList(str(p, "format"), docker, {
    defaultTable:
      `table {{.Repository}}\t{{.Tag}}${digests}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}`,
    headers: HEADERS,
    typeName: "*formatter.imageContext",
  }));
  return Promise.resolve(0);
};
