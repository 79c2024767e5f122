/**
 * Leftover removal for the OCI harnesses: mounts below a temp dir, cgroup
 * trees the suite or a daemon created, containers left in a runtime's state
 * root, and stray processes. Every function reports what it removed so a
 * caller can tell "clean" from "cleaned up after a leak".
 * @module
 */

import { join } from "node:path";

function unescapeMount(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const base = dir.replace(/\/$/, "");
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .map((l) => l.split(" ")[4])
    .filter((p): p is string => !!p)
    .map(unescapeMount)
    .filter((p) => p === base || p.startsWith(base + "/"))
    .sort((a, b) => b.length - a.length);
}

/**
 * Unmount everything at or below `dir` (deepest first; lazily when busy).
 * Returns the mount points removed; throws when some remain.
 */
export function unmountUnder(dir: string): string[] {
  const removed: string[] = [];
  for (let round = 0; round < 5; round++) {
    const left = mountsUnder(dir);
    if (!left.length) return removed;
    for (const m of left) {
      const r = new Deno.Command("umount", { args: [m], stderr: "null" }).outputSync();
      if (!r.success) new Deno.Command("umount", { args: ["-l", m], stderr: "null" }).outputSync();
      removed.push(m);
    }
  }
  const left = mountsUnder(dir);
  if (left.length) throw new Error(`tsbox: cleanup: still mounted: ${left.join(", ")}`);
  return removed;
}

/** One mounted cgroup hierarchy and this process's cgroup in it. */
export interface CgroupHierarchy {
  mount: string;
  /** This process's cgroup path inside the hierarchy ("/" or deeper). */
  own: string;
}

/** The cgroup hierarchies mounted under /sys/fs/cgroup (v1 and v2). */
export function cgroupHierarchies(): CgroupHierarchy[] {
  const own = new Map<string, string>();
  for (const line of Deno.readTextFileSync("/proc/self/cgroup").split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const c of m[1].split(",")) own.set(c === "" ? "" : c, m[2]);
  }
  const out: CgroupHierarchy[] = [];
  for (const line of Deno.readTextFileSync("/proc/self/mountinfo").split("\n")) {
    const f = line.split(" ");
    const sep = f.indexOf("-");
    if (sep < 0) continue;
    const fstype = f[sep + 1];
    const mount = unescapeMount(f[4]);
    if (fstype === "cgroup2") out.push({ mount, own: own.get("") ?? "/" });
    else if (fstype === "cgroup") {
      const opts = (f[sep + 3] ?? "").split(",");
      const key = opts.find((o) => own.has(o)) ??
        opts.find((o) => o.startsWith("name=") && own.has(o));
      out.push({ mount, own: key ? own.get(key)! : "/" });
    }
  }
  return out;
}

function isDir(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

function killCgroupProcs(dir: string): number {
  let n = 0;
  try {
    for (const pid of Deno.readTextFileSync(join(dir, "cgroup.procs")).split("\n")) {
      if (!pid) continue;
      try {
        Deno.kill(Number(pid), "SIGKILL");
        n++;
      } catch (err) {
        // exited between the read and the kill
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
  } catch (err) {
    // the cgroup vanished while we looked
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return n;
}

function waitEmpty(dir: string): void {
  for (let i = 0; i < 200; i++) {
    let procs = "";
    try {
      procs = Deno.readTextFileSync(join(dir, "cgroup.procs")).trim();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw err;
    }
    if (!procs) return;
    // a killed task leaves the cgroup only once the kernel reaps it; poll the file
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

/**
 * Remove the cgroup tree at `rel` (a path inside each hierarchy, or a
 * function of the hierarchy for paths relative to this process's cgroup) in
 * every hierarchy where it exists, killing any process still inside first.
 * Thawed first when frozen (a paused container's freezer blocks removal).
 * Returns the directories removed.
 */
export function removeCgroupTree(rel: string | ((h: CgroupHierarchy) => string)): string[] {
  const refuse = (sub: string) => {
    if (!sub.replace(/[/.]/g, "")) throw new Error(`tsbox: cleanup: refusing cgroup path "${sub}"`);
  };
  if (typeof rel === "string") refuse(rel);
  const removed: string[] = [];
  for (const h of cgroupHierarchies()) {
    const sub = typeof rel === "string" ? rel : rel(h);
    refuse(sub);
    const top = join(h.mount, sub);
    if (!isDir(top)) continue;
    const dirs: string[] = [];
    const walk = (d: string) => {
      for (const e of Deno.readDirSync(d)) if (e.isDirectory) walk(join(d, e.name));
      dirs.push(d);
    };
    walk(top);
    for (const d of dirs) {
      // v1 freezer: thaw (a frozen task cannot die); v2 has cgroup.freeze
      for (const [file, value] of [["freezer.state", "THAWED"], ["cgroup.freeze", "0"]]) {
        try {
          Deno.statSync(join(d, file));
        } catch (err) {
          if (err instanceof Deno.errors.NotFound) continue;
          throw err;
        }
        Deno.writeTextFileSync(join(d, file), value);
      }
    }
    for (const d of dirs) {
      if (killCgroupProcs(d)) waitEmpty(d);
      Deno.removeSync(d);
      removed.push(d);
    }
  }
  return removed;
}

/**
 * Force-delete every container left in runtime state root `root` through
 * `runtime` (argv prefix, e.g. ["/usr/sbin/runc", "--root", root]).
 * Returns the ids deleted; throws when one cannot be deleted.
 */
export function deleteLeftoverContainers(runtime: string[], root: string): string[] {
  let ids: string[];
  try {
    ids = [...Deno.readDirSync(root)].filter((e) => e.isDirectory).map((e) => e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  for (const id of ids) {
    const r = new Deno.Command(runtime[0], {
      args: [...runtime.slice(1), "delete", "--force", id],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    if (!r.success) {
      throw new Error(
        `tsbox: cleanup: ${runtime.join(" ")} delete --force ${id}: ` +
          new TextDecoder().decode(r.stderr).trim(),
      );
    }
  }
  return ids;
}

/** Pids whose /proc/PID/exe or cmdline contains `needle` (e.g. a temp dir or a shim name). */
export function processesMatching(needle: string): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).replaceAll("\0", " ");
      if (cmd.includes(needle)) out.push(Number(e.name));
    } catch (err) {
      // the process exited while we listed /proc
      if (
        !(err instanceof Deno.errors.NotFound) && !(err instanceof Deno.errors.PermissionDenied)
      ) {
        throw err;
      }
    }
  }
  return out;
}

/** SIGKILL `pids` and wait until /proc no longer lists them (zombies of others count as gone). */
export function killAndWait(pids: number[]): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch (err) {
      // already gone
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  for (const pid of pids) {
    for (let i = 0; i < 500; i++) {
      let state = "";
      try {
        state = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]?.[0] ?? "";
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) break;
        throw err;
      }
      if (state === "Z") break;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

function exists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Note which of `paths` (host paths a caller creates outside its own dirs,
 * e.g. /run/containerd/s, /etc/docker/key.json; list children before their
 * parents) exist now; the returned function removes those that did not,
 * directories only when empty (someone else may be using them by then).
 * Returns what it removed.
 */
export function hostPathsCreatedAfter(paths: string[]): () => string[] {
  const before = new Set(paths.filter(exists));
  return () => {
    const removed: string[] = [];
    for (const p of paths) {
      if (before.has(p) || !exists(p)) continue;
      try {
        Deno.removeSync(p);
        removed.push(p);
      } catch (err) {
        // a directory someone else has put something into since: leave it
        if (!(err instanceof Error && /not empty|ENOTEMPTY|os error 39/i.test(err.message))) {
          throw err;
        }
      }
    }
    return removed;
  };
}
