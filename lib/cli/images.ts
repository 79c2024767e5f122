/**
 * `tsbox images [-a] [-q] [--digests] [--no-trunc] [--format json|TEMPLATE]
 * [-f dangling=true|reference=PATTERN] [REPOSITORY[:TAG]]` — list images.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { ImageStore } from "../image/store.ts";
import { familiarName, parseReference, repositoryOf } from "../image/reference.ts";
import { humanSize, renderTemplate, since, table } from "../image/format.ts";
import { shortId } from "../image/digest.ts";
import type { ImageSummary } from "../image/types.ts";

const HELP = `Usage: tsbox images [OPTIONS] [REPOSITORY[:TAG]]

List images

Options:
  -a, --all             Show all images (no intermediate images exist in tsbox)
      --digests         Show digests
  -f, --filter FILTER   dangling=true|false, reference=PATTERN
      --format FORMAT   "json", or a template like '{{.Repository}}:{{.Tag}}'
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

function matchFilters(
  row: Row,
  img: ImageSummary | undefined,
  filters: string[],
  positional?: string,
): boolean {
  for (const f of filters) {
    const eq = f.indexOf("=");
    const key = f.slice(0, eq);
    const value = f.slice(eq + 1);
    if (key === "dangling") {
      const dangling = !img?.tags.length && !img?.repoDigests.length;
      if ((value === "true") !== dangling) return false;
    } else if (key === "reference") {
      if (!globMatch(value, `${row.Repository}:${row.Tag}`) && !globMatch(value, row.Repository)) {
        return false;
      }
    }
  }
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

function validateFilters(filters: string[]): void {
  for (const f of filters) {
    const [k, v] = [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)];
    if (!f.includes("=") || !["dangling", "reference"].includes(k)) {
      throw new UsageError(`invalid filter "${f}"`, {
        hint: "supported: dangling=true|false, reference=PATTERN",
      });
    }
    if (k === "dangling" && v !== "true" && v !== "false") {
      throw new UsageError(`invalid filter "${f}": dangling takes true or false`);
    }
  }
}

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
  const filters = list(p, "filter");
  validateFilters(filters);
  const positional = p.positionals[0];
  if (positional) parseReference(positional); // a bad reference is a usage error before anything is read
  const images = new ImageStore(ctx.paths).list();
  const byId = new Map(images.map((i) => [i.id, i]));
  const rows = rowsOf(images, bool(p, "no-trunc")).filter((r) =>
    matchFilters(r, byId.get(r.fullId), filters, positional)
  );
  const out: string[] = [];
  if (bool(p, "quiet")) {
    for (const id of new Set(rows.map((r) => r.ID))) out.push(id);
  } else if (str(p, "format") !== undefined) {
    const fmt = str(p, "format")!;
    for (const r of rows) {
      const { fullId: _, ...fields } = r;
      const docker = {
        Containers: "N/A",
        SharedSize: "N/A",
        UniqueSize: "N/A",
        VirtualSize: r.Size,
        ...fields,
      };
      out.push(fmt === "json" ? JSON.stringify(docker) : renderTemplate(fmt, docker));
    }
  } else {
    const head = [
      "REPOSITORY",
      "TAG",
      ...(bool(p, "digests") ? ["DIGEST"] : []),
      "IMAGE ID",
      "CREATED",
      "SIZE",
    ];
    const body = rows.map((
      r,
    ) => [
      r.Repository,
      r.Tag,
      ...(bool(p, "digests") ? [r.Digest] : []),
      r.ID,
      r.CreatedSince,
      r.Size,
    ]);
    out.push(table([head, ...body]));
  }
  if (out.length) console.log(out.join("\n"));
  return Promise.resolve(0);
};
