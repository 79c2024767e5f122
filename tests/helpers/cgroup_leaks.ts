/**
 * Leak checks for cgroups that look wherever the running kernel puts them: every
 * cgroup and cgroup2 mount in /proc/self/mountinfo (v1 controllers under
 * /sys/fs/cgroup/<ctrl>/, named v1 hierarchies, the unified hierarchy at
 * /sys/fs/cgroup/unified/ on a hybrid host, /sys/fs/cgroup/ itself on a pure v2 host),
 * walked to any depth, so a cgroup under a parent (nested placement) is found too.
 * Read-only except `removeCgroups`, which needs root.
 * @module
 */

import { join } from "node:path";

/** Names tsbox gives its cgroups (`tsbox-<id>`, and any `tsbox…` parent). */
const TSBOX_RE = /^tsbox/;

/** A cgroup filesystem mounted in this mount namespace. */
export interface CgroupMount {
  /** Mount point (`/sys/fs/cgroup/memory`, `/sys/fs/cgroup`, …). */
  path: string;
  /** 1 for `cgroup`, 2 for `cgroup2`. */
  version: 1 | 2;
}

/** Unescape mountinfo's octal escapes (`\040` for a space). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

/** Every cgroup (v1) and cgroup2 mount, from /proc/self/mountinfo (bind mounts of one hierarchy once). */
export function cgroupMounts(
  mountinfo = Deno.readTextFileSync("/proc/self/mountinfo"),
): CgroupMount[] {
  const out: CgroupMount[] = [];
  const seen = new Set<string>();
  for (const line of mountinfo.split("\n")) {
    const [pre, post] = line.split(" - ");
    if (!post) continue;
    const fstype = post.split(" ")[0];
    if (fstype !== "cgroup" && fstype !== "cgroup2") continue;
    const f = pre.split(" ");
    const path = unescape(f[4]);
    const key = `${f[2]} ${f[3]}`; // device and root: one hierarchy bound twice counts once
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, version: fstype === "cgroup2" ? 2 : 1 });
  }
  return out;
}

/** Subdirectories of `dir` ([] when it vanished while listed). */
function subdirs(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.isDirectory).map((e) => join(dir, e.name));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return []; // removed meanwhile (another test's cleanup)
    throw err;
  }
}

/**
 * Directories whose name `match`es (default: starts with `tsbox`) in every cgroup
 * hierarchy, at any depth. A match is reported once; what is below it is part of it.
 */
export function tsboxCgroups(match: (name: string) => boolean = (n) => TSBOX_RE.test(n)): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const d of subdirs(dir)) {
      if (match(d.slice(d.lastIndexOf("/") + 1))) found.push(d);
      else walk(d);
    }
  };
  for (const m of cgroupMounts()) walk(m.path);
  return found.sort();
}

/** The cgroup directories of container `id` (`tsbox-<id>`) still present, anywhere. */
export function cgroupsOf(id: string): string[] {
  return tsboxCgroups((n) => n === `tsbox-${id}`);
}

/**
 * Remove cgroup directories, each with its sub-cgroups (children first). The caller
 * has killed their processes. Needs root. Missing directories are fine.
 * @throws {Error} a directory is still busy.
 */
export function removeCgroups(dirs: string[]): void {
  for (const d of dirs) {
    for (const sub of subdirs(d)) removeCgroups([sub]);
    try {
      Deno.removeSync(d);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // already removed
    }
  }
}
