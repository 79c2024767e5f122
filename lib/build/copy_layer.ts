/**
 * COPY/ADD as a layer: plan where each selected entry lands (docker's
 * rules: a directory source means its contents, a file goes into a
 * destination directory — one ending in `/`, or one that exists in the
 * image — or becomes the destination), digest what is copied (the cache
 * key), and write the files into a private staging directory in overlay
 * form, which the caller packs with the layer writer. Parent directories
 * that exist in the image keep its metadata (as an overlay copy-up would);
 * new ones are 0755 and owned by `--chown` (root by default).
 * Needs root (chown, `trusted.*` xattrs of the image's layers).
 * @module
 */

import { join, posix } from "node:path";
import { createHash } from "node:crypto";
import type { WalkEntry } from "../image/layer_walk.ts";
import { mergedStat } from "../image/lower_stat.ts";
import type { UnpackKernel } from "../image/unpack.ts";
import { extractLayer } from "../image/unpack.ts";
import { decompress, readHead, sniffCompression } from "../image/decompress.ts";
import type { Selected, SourceEntry } from "./sources.ts";

/** What to copy where. */
export interface CopyRequest {
  sources: Selected[];
  /** Absolute destination in the image (a trailing `/` means a directory). */
  dest: string;
  /** `--chown` resolved to numbers. */
  chown?: { uid: number; gid: number };
  /** `--chmod` (octal). */
  chmod?: number;
  /** ADD: extract local tar archives (plain or gzip). */
  extract?: boolean;
  /** The image's unpacked layer dirs, bottom first. */
  baseLayers: string[];
}

/** One entry at its destination (relative, no leading slash). */
export interface PlanItem {
  dest: string;
  entry: WalkEntry;
  /** Extract this file (a tar) into `dest` instead of copying it. */
  extract?: boolean;
  /**
   * Only make sure `dest` is a directory (the top of a directory source:
   * its contents are copied, not the directory itself, as BuildKit does).
   */
  ensureDir?: boolean;
}

/** Plan the copy. Pure apart from reading the image's metadata and archive heads. */
export function planCopy(req: CopyRequest): PlanItem[] {
  const destRel = posix.normalize(req.dest).replace(/^\/+/, "").replace(/\/+$/, "");
  const top = [...req.baseLayers].reverse();
  const destIsDir = req.dest.endsWith("/") || req.sources.length > 1 ||
    (destRel !== "" && mergedStat(top, destRel)?.isDirectory === true) || destRel === "";
  const at = (rel: string) => (destRel ? (rel ? `${destRel}/${rel}` : destRel) : rel);
  const out: PlanItem[] = [];
  for (const s of req.sources) {
    if (!s.root || s.root.type === "dir") {
      if (s.root) out.push({ dest: destRel, entry: s.root, ensureDir: true });
      for (const c of s.children) out.push({ dest: at(c.path), entry: c });
      continue;
    }
    if (req.extract && s.root.type === "file" && isArchive(s.root)) {
      out.push({ dest: destRel, entry: s.root, extract: true });
      continue;
    }
    out.push({ dest: destIsDir ? at(posix.basename(s.path)) : destRel, entry: s.root });
  }
  return out.filter((p) => p.dest !== "" || p.extract && !p.ensureDir);
}

/** A local archive ADD extracts: a tar, plain or gzip (by content, as docker). */
function isArchive(e: WalkEntry): boolean {
  const path = (e as SourceEntry).hostPath;
  if (!path) return false;
  const head = readHead(path, 512);
  if (sniffCompression(head) === "gzip") return true;
  return new TextDecoder().decode(head.subarray(257, 262)) === "ustar";
}

/** sha256 over what lands where (paths, types, modes, link targets, file contents). */
export async function contentDigest(plan: PlanItem[]): Promise<string> {
  const h = createHash("sha256");
  for (const p of plan) {
    const e = p.entry;
    h.update(
      JSON.stringify([
        p.dest,
        e.type,
        e.mode,
        e.uid,
        e.gid,
        e.size,
        e.linkname ?? "",
        !!p.extract,
        !!p.ensureDir,
      ]),
    );
    if (e.type === "file" && e.open) {
      const f = await e.open();
      for await (const chunk of f.readable) h.update(chunk);
    }
  }
  return `sha256:${h.digest("hex")}`;
}

/**
 * Write the plan into `staging` (an empty private directory).
 * @throws {Error} a destination passes through a symlink or a file of the image.
 */
export async function stageCopy(
  plan: PlanItem[],
  staging: string,
  req: CopyRequest,
  kernel: UnpackKernel,
): Promise<void> {
  const top = [...req.baseLayers].reverse();
  const dirTimes = new Map<string, number>();
  const own = (e: WalkEntry) => req.chown ?? { uid: e.uid, gid: e.gid };
  const ensureParents = (rel: string, mtime: number) => {
    const comps = rel.split("/").filter(Boolean);
    for (let i = 1; i < comps.length; i++) ensureDir(comps.slice(0, i).join("/"), mtime);
  };
  const ensureDir = (rel: string, mtime: number) => {
    const path = join(staging, rel);
    const here = lstat(path);
    if (here) {
      if (!here.isDirectory) throw new Error(`/${rel} is not a directory`);
      return;
    }
    const st = mergedStat(top, rel);
    if (st && !st.isDirectory) {
      throw new Error(
        `/${rel} is ${st.isSymlink ? "a symlink" : "a file"} in the image, not a directory`,
      );
    }
    Deno.mkdirSync(path);
    const o = st ? { uid: st.uid ?? 0, gid: st.gid ?? 0 } : req.chown ?? { uid: 0, gid: 0 };
    kernel.lchown(path, o.uid, o.gid);
    Deno.chmodSync(path, st ? (st.mode ?? 0o755) & 0o7777 : 0o755);
    dirTimes.set(path, st ? Math.floor((st.mtime?.getTime() ?? 0) / 1000) : mtime);
  };
  for (const p of plan) {
    const e = p.entry;
    ensureParents(p.dest, e.mtime);
    const path = join(staging, p.dest);
    if (p.ensureDir) {
      ensureDir(p.dest, e.mtime);
      continue;
    }
    if (p.extract) {
      ensureDir(p.dest, e.mtime);
      const f = await e.open!();
      const head = new Uint8Array(8);
      const n = (await f.read(head)) ?? 0;
      await f.seek(0, Deno.SeekMode.Start);
      const c = sniffCompression(head.subarray(0, n));
      await extractLayer(decompress(f.readable, c, e.path), path, kernel, e.path);
      continue;
    }
    const existing = lstat(path);
    if (existing && !(existing.isDirectory && e.type === "dir")) {
      Deno.removeSync(path, { recursive: true });
    }
    const mode = req.chmod ?? e.mode;
    const o = own(e);
    if (e.type === "dir") {
      if (!existing?.isDirectory) Deno.mkdirSync(path);
      kernel.lchown(path, o.uid, o.gid);
      Deno.chmodSync(path, mode);
      dirTimes.set(path, e.mtime);
    } else if (e.type === "symlink") {
      Deno.symlinkSync(e.linkname!, path);
      kernel.lchown(path, o.uid, o.gid);
      kernel.lutimes(path, e.mtime, e.mtime);
    } else if (e.type === "file") {
      const src = await e.open!();
      const dst = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
      await src.readable.pipeTo(dst.writable);
      kernel.lchown(path, o.uid, o.gid);
      Deno.chmodSync(path, mode);
      kernel.lutimes(path, e.mtime, e.mtime);
    }
  }
  for (const [path, t] of [...dirTimes].reverse()) kernel.lutimes(path, t, t);
}

function lstat(p: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(p);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // not staged yet
    throw err;
  }
}
