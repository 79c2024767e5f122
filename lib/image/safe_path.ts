/**
 * Path safety for layer extraction: every tar entry name (and hardlink
 * target) is reduced to components inside the layer dir, and every parent
 * on the way is checked with lstat to be a real directory — never a
 * symlink, even one pointing back inside. Only the extractor writes in the
 * temp layer dir, so a check-then-use here has no racing writer.
 * @module
 */

import { join } from "node:path";
import { ImageError } from "../errors.ts";

/**
 * Components of a tar entry name, relative to the layer root. `./` and
 * empty components are dropped; `[]` means the root itself.
 * @throws {ImageError} absolute name, a `..` component, or a NUL byte.
 */
export function entryComponents(name: string, what: string): string[] {
  if (name.includes("\0")) throw unsafe(name, what, "contains a NUL byte");
  // a lone "/" is the layer root itself (umoci writes one); any other absolute name is refused
  if (name.startsWith("/") && name.replace(/^\/+\.?\/*$/, "") !== "") {
    throw unsafe(name, what, "is an absolute path");
  }
  const comps = name.split("/").filter((c) => c !== "" && c !== ".");
  if (comps.includes("..")) throw unsafe(name, what, "has a '..' component");
  return comps;
}

/**
 * Make sure every directory in `comps` exists under `root` as a real
 * directory, creating missing ones (mode 0755, like docker), and return
 * the absolute path. Never follows a symlink.
 * @throws {ImageError} a component is a symlink or not a directory.
 */
export function ensureDirChain(
  root: string,
  comps: string[],
  entryName: string,
  what: string,
): string {
  let p = root;
  for (const c of comps) {
    p = join(p, c);
    let st: Deno.FileInfo | undefined;
    try {
      st = Deno.lstatSync(p);
    } catch (err) {
      // missing parent: tars may omit directory entries
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    if (!st) {
      Deno.mkdirSync(p, { mode: 0o755 });
      Deno.chmodSync(p, 0o755); // mkdir honours the umask
      continue;
    }
    if (st.isSymlink) {
      throw unsafe(
        entryName,
        what,
        `traverses the symlink ${comps.slice(0, comps.indexOf(c) + 1).join("/")}`,
      );
    }
    if (!st.isDirectory) throw unsafe(entryName, what, `has a parent that is not a directory`);
  }
  return p;
}

/**
 * Resolve an existing entry (a hardlink target) without creating or
 * following anything; the target must exist and not be a directory.
 * @throws {ImageError} unsafe name, symlink in the parents, missing target, directory target.
 */
export function resolveLinkTarget(
  root: string,
  linkname: string,
  entryName: string,
  what: string,
): string {
  const comps = entryComponents(linkname, what);
  if (!comps.length) throw unsafe(entryName, what, `is a hardlink to the layer root`);
  let p = root;
  for (const [i, c] of comps.entries()) {
    p = join(p, c);
    let st: Deno.FileInfo;
    try {
      st = Deno.lstatSync(p);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw unsafe(entryName, what, `is a hardlink to "${linkname}", which is not in this layer`);
      }
      throw err;
    }
    const last = i === comps.length - 1;
    if (!last && st.isSymlink) {
      throw unsafe(
        entryName,
        what,
        `is a hardlink through the symlink ${comps.slice(0, i + 1).join("/")}`,
      );
    }
    if (!last && !st.isDirectory) {
      throw unsafe(entryName, what, `is a hardlink to "${linkname}", which is not in this layer`);
    }
    if (last && st.isDirectory) {
      throw unsafe(entryName, what, `is a hardlink to the directory "${linkname}"`);
    }
  }
  return p;
}

function unsafe(name: string, what: string, why: string): ImageError {
  return new ImageError(`${what}: refusing tar entry "${name}": it ${why}`);
}
