/**
 * Where COPY/ADD read from: the build context (a host directory, minus
 * what `.dockerignore` excludes; symlinks are copied as symlinks, never
 * followed, and files are opened with openat2 below the context root) or another image's merged tree (`--from=stage|image`). Both are
 * a sorted list of layer-walk entries; `select` applies docker's source
 * rules (a path or a glob; a directory means its contents).
 * @module
 */

import { join, posix } from "node:path";
import type { WalkEntry } from "../image/layer_walk.ts";
import { walkMerged } from "../image/merged_walk.ts";
import { byteOrder, openPinned } from "../image/layer_walk.ts";
import { O_DIRECTORY, openPath } from "../../ffi/openat.ts";
import { closeFd } from "../../ffi/fds.ts";
import { globRegExp, hasGlob, type IgnoreMatcher } from "./dockerignore.ts";

/** A walk entry; context files also name their host path (ADD reads archive heads). */
export type SourceEntry = WalkEntry & { hostPath?: string };

/** A tree of entries (paths relative, no leading slash), parents before children. */
export interface SourceTree {
  /** Name used in messages: `build context` or `stage build`. */
  what: string;
  entries: SourceEntry[];
}

/** One selected source: the entry named (or matched), and its descendants. */
export interface Selected {
  root: WalkEntry | undefined;
  /** The path as selected (`` for the whole tree). */
  path: string;
  /** Descendants of a directory, paths relative to it. */
  children: WalkEntry[];
}

/**
 * The build context under `dir`, minus ignored paths (sockets, devices and
 * fifos are skipped as docker does).
 */
export function contextTree(dir: string, ignore: IgnoreMatcher): SourceTree {
  const entries: SourceEntry[] = [];
  const walk = (abs: string, rel: string) => {
    const names = [...Deno.readDirSync(abs)].map((e) => e.name).sort(byteOrder);
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(abs, name);
      const st = Deno.lstatSync(full);
      const isDir = st.isDirectory;
      if (ignore.ignores(path) && !(isDir && ignore.hasExclusions)) continue;
      const e: SourceEntry = {
        path,
        type: isDir ? "dir" : st.isSymlink ? "symlink" : st.isFile ? "file" : "fifo",
        mode: (st.mode ?? 0) & 0o7777,
        uid: 0,
        gid: 0,
        mtime: Math.floor((st.mtime?.getTime() ?? 0) / 1000),
        size: st.isFile ? st.size : 0,
        xattrs: [],
      };
      if (e.type === "fifo") continue;
      if (e.type === "symlink") e.linkname = Deno.readLinkSync(full);
      if (e.type === "file") {
        // opened below the context root with no symlink followed: a file swapped
        // for a link after the walk cannot make tsbox read outside the context
        e.open = () => openBelow(dir, path);
        e.hostPath = full;
      }
      const excluded = ignore.ignores(path);
      if (!excluded) entries.push(e);
      if (isDir) walk(full, path);
    }
  };
  walk(dir, "");
  return { what: "build context", entries };
}

/**
 * The merged tree of an image's layer dirs (bottom first, as in
 * ResolvedImage). A file is read later from the topmost layer that has it
 * (the one the merged view shows), opened below that layer's root with no
 * symlink followed; a hard link is copied as a file.
 */
export async function imageTree(layerDirs: string[], what: string): Promise<SourceTree> {
  const entries: SourceEntry[] = [];
  const top = [...layerDirs].reverse();
  if (!top.length) return { what, entries };
  for await (const e of walkMerged(top)) {
    if (e.type === "file") {
      const layer = top.find((d) => lstatOrUndefined(join(d, e.path)) !== undefined)!;
      delete e.hardlinkOf;
      e.size = Deno.lstatSync(join(layer, e.path)).size;
      e.open = () => openBelow(layer, e.path);
    }
    entries.push(e);
  }
  return { what, entries };
}

async function openBelow(root: string, rel: string): Promise<Deno.FsFile> {
  const fd = openPath(root, O_DIRECTORY);
  try {
    return await openPinned(fd, rel, rel);
  } finally {
    closeFd(fd);
  }
}

function lstatOrUndefined(p: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(p);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // not in this layer
    throw err;
  }
}

/**
 * The sources named by `src` (after substitution): a path (`.` or `/` is
 * the whole tree) or a glob matched against every path.
 * @returns empty when nothing matches.
 */
export function select(tree: SourceTree, src: string): Selected[] {
  const clean = posix.normalize(`/${src}`).replace(/^\/+/, "").replace(/\/+$/, "");
  const under = (p: string) => tree.entries.filter((e) => e.path.startsWith(`${p}/`) || !p);
  const childrenOf = (p: string) =>
    under(p).map((e) => ({ ...e, path: p ? e.path.slice(p.length + 1) : e.path }));
  if (clean === "" || clean === ".") {
    return [{ root: undefined, path: "", children: childrenOf("") }];
  }
  if (!hasGlob(clean)) {
    const root = tree.entries.find((e) => e.path === clean);
    if (!root) return [];
    return [{ root, path: clean, children: root.type === "dir" ? childrenOf(clean) : [] }];
  }
  const re = globRegExp(clean);
  return tree.entries.filter((e) => re.test(e.path)).map((root) => ({
    root,
    path: root.path,
    children: root.type === "dir" ? childrenOf(root.path) : [],
  }));
}
