/**
 * Extract a `cp` archive into a directory with blocking calls (see
 * tar_sync.ts for why): the top entry may be renamed (docker's copy
 * rules), names with `..` are refused, nothing is written through a
 * symlink below the target directory, an existing directory is never
 * replaced by a non-directory. Owners are the archive's with `archive`,
 * else the given ones. Directory times are set last. Needs root for chown,
 * mknod and `trusted.*` xattrs.
 * @module
 */

import * as posix from "../posix_path.ts";
import type { Kernel } from "../kernel.ts";
import { makedev, S_IFBLK, S_IFCHR, S_IFIFO } from "../../ffi/consts.ts";
import { CopyError } from "./copy_rules.ts";
import type { TarReaderSync } from "./tar_sync.ts";

/** Options of `extractSync`. */
export interface ExtractOptions {
  /** Rename the archive's top entry `from` to `to` (`""`: its contents go straight into the dir). */
  rename?: { from: string; to: string };
  /** Keep the archive's uid/gid (`cp -a`); otherwise use `uid`/`gid`. */
  archive: boolean;
  uid: number;
  gid: number;
}

/** The kernel calls extraction needs. */
export type ExtractKernel = Pick<Kernel, "lchown" | "mknod" | "lutimes" | "lsetxattr">;

function lstat(p: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(p);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // not there yet
    throw err;
  }
}

/**
 * Extract every entry of `reader` below the existing directory `dir`.
 * @returns bytes of file content written.
 * @throws {CopyError} unsafe names, symlinked parents, directory/file conflicts.
 */
export function extractSync(
  reader: TarReaderSync,
  dir: string,
  kernel: ExtractKernel,
  opts: ExtractOptions,
): number {
  const dirTimes: [string, number][] = [];
  let written = 0;
  for (let e = reader.next(); e; e = reader.next()) {
    const rel = mapName(e.name, opts.rename);
    if (rel === undefined) continue;
    const comps = rel.split("/").filter((c) => c && c !== ".");
    if (comps.some((c) => c === "..")) {
      throw new CopyError(`refusing archive entry "${e.name}": it leaves the destination`);
    }
    if (!comps.length) continue; // the top directory itself (contents-only copy)
    const parent = ensureParents(dir, comps.slice(0, -1), e.name);
    const path = `${parent}/${comps.at(-1)}`;
    const old = lstat(path);
    const isDir = e.typeflag === "5";
    if (old && old.isDirectory && !isDir) {
      throw new CopyError(`cannot overwrite directory "${path}" with non-directory`);
    }
    if (old && !old.isDirectory) Deno.removeSync(path);
    switch (e.typeflag) {
      case "5":
        if (!old || !old.isDirectory) Deno.mkdirSync(path, { mode: 0o700 });
        break;
      case "2":
        Deno.symlinkSync(e.linkname, path);
        break;
      case "1": {
        const target = mapName(e.linkname, opts.rename);
        const tc = (target ?? "").split("/").filter((c) => c && c !== ".");
        if (!tc.length || tc.includes("..")) {
          throw new CopyError(`refusing hard link "${e.name}" to "${e.linkname}"`);
        }
        const tp = `${ensureParents(dir, tc.slice(0, -1), e.linkname)}/${tc.at(-1)}`;
        if (!lstat(tp)?.isFile) throw new CopyError(`hard link target "${e.linkname}" is missing`);
        Deno.linkSync(tp, path);
        continue; // shares the target's inode: nothing more to set
      }
      case "3":
      case "4":
      case "6": {
        const type = e.typeflag === "3" ? S_IFCHR : e.typeflag === "4" ? S_IFBLK : S_IFIFO;
        kernel.mknod(path, type | (e.mode & 0o777), makedev(e.devmajor, e.devminor));
        break;
      }
      case "0":
      case "\0":
      case "7": {
        const f = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
        try {
          reader.body(e.size, (chunk) => {
            let off = 0;
            while (off < chunk.length) off += f.writeSync(chunk.subarray(off));
            written += chunk.length;
          });
        } finally {
          f.close();
        }
        break;
      }
      default:
        continue; // other types (sockets, vendor extensions) are not copied
    }
    kernel.lchown(path, opts.archive ? e.uid : opts.uid, opts.archive ? e.gid : opts.gid);
    if (e.typeflag !== "2") Deno.chmodSync(path, e.mode & 0o7777);
    for (const [k, v] of e.xattrs) kernel.lsetxattr(path, k, v);
    if (isDir) dirTimes.push([path, e.mtime]);
    else kernel.lutimes(path, e.mtime, e.mtime);
  }
  for (const [p, t] of dirTimes.reverse()) kernel.lutimes(p, t, t);
  return written;
}

function mapName(name: string, rename: ExtractOptions["rename"]): string | undefined {
  const n = posix.normalize(name.replace(/^\/+/, "")).replace(/^\.\//, "").replace(/\/+$/, "");
  if (!rename) return n;
  const from = rename.from;
  if (from === ".") return rename.to ? posix.join(rename.to, n === "." ? "" : n) : n;
  if (n === from) return rename.to || ".";
  if (n.startsWith(`${from}/`)) {
    return rename.to ? `${rename.to}${n.slice(from.length)}` : n.slice(from.length + 1);
  }
  return undefined; // outside the copied tree: not ours to write
}

/** Make (0755) or check each parent below `dir`; a symlink or file there is refused. */
function ensureParents(dir: string, comps: string[], entry: string): string {
  let p = dir;
  for (const c of comps) {
    p = `${p}/${c}`;
    const st = lstat(p);
    if (!st) Deno.mkdirSync(p, { mode: 0o755 });
    else if (st.isSymlink) {
      throw new CopyError(`refusing archive entry "${entry}": "${p}" is a symlink`);
    } else if (!st.isDirectory) {
      throw new CopyError(`refusing archive entry "${entry}": "${p}" is not a directory`);
    }
  }
  return p;
}
