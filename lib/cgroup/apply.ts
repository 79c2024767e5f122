/**
 * The one step that touches the cgroup filesystem for a plan: make the
 * directories, write the planned values in order, and undo (rmdir) on
 * failure or at destroy time. Needs root on a real cgroupfs.
 * @module
 */

import { join } from "../posix_path.ts";
import { CgroupError, SyscallError } from "../errors.ts";
import { errnoName } from "../../ffi/errno.ts";
import type { CgroupFs } from "./fs.ts";
import type { CgroupWrite } from "./types.ts";

/** cgroup names are one path component; tsbox uses `tsbox-<64 hex id>`. */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** @throws {CgroupError} when `name` is not a single safe path component. */
export function checkName(name: string): void {
  if (!NAME_RE.test(name) || name.length > 200) {
    throw new CgroupError(`invalid cgroup name "${name}": must be one path component`);
  }
}

/**
 * Wrap a filesystem error as a one-line CgroupError naming the op, the path
 * and the errno (`write …/cpuset.cpus "9": Numerical result out of range (ERANGE)`).
 * The cause is a SyscallError, so the CLI does not print the reason twice.
 */
export function cgroupError(op: string, path: string, err: unknown, detail = ""): CgroupError {
  const text = err instanceof Error ? err.message : String(err);
  const m = /^(.*?) \(os error (\d+)\)/.exec(text);
  if (!m) return new CgroupError(`${op} ${path}${detail}: ${text}`, { op, path, cause: err });
  const errno = Number(m[2]);
  const sys = new SyscallError(op, errno, errnoName(errno), m[1], path);
  return new CgroupError(`${op} ${path}${detail}: ${m[1]} (${sys.errnoName})`, {
    op,
    path,
    cause: sys,
  });
}

/**
 * Create `dirs` in order; if one fails, remove those already made.
 * @throws {CgroupError} a directory exists already or mkdir failed.
 */
export function makeDirs(fs: CgroupFs, dirs: string[]): void {
  const made: string[] = [];
  try {
    for (const d of dirs) {
      try {
        fs.mkdir(d);
      } catch (err) {
        if (err instanceof Deno.errors.AlreadyExists) {
          throw new CgroupError(`cgroup ${d} already exists`, { op: "mkdir", path: d, cause: err });
        }
        throw cgroupError("mkdir", d, err);
      }
      made.push(d);
    }
  } catch (err) {
    undoDirs(fs, made);
    throw err;
  }
}

/**
 * Write every planned value, in order.
 * @throws {CgroupError} naming the file and value the kernel rejected.
 */
export function applyWrites(fs: CgroupFs, writes: CgroupWrite[]): void {
  for (const w of writes) {
    try {
      fs.write(w.path, w.value);
    } catch (err) {
      throw cgroupError("write", w.path, err, ` "${w.value}"`);
    }
  }
}

/**
 * `applyWrites` on the real cgroupfs, off the main thread (Deno's blocking
 * pool), in order: for writes that only wait in the kernel. An open file
 * and one write each, not `Deno.writeTextFile`: that one's check for a
 * stream argument loads Deno's streams (~4 ms, on `run`'s path).
 * @throws {CgroupError} naming the first write refused.
 */
export async function applyWritesAsync(writes: CgroupWrite[]): Promise<void> {
  const enc = new TextEncoder();
  for (const w of writes) {
    try {
      using file = await Deno.open(w.path, { write: true });
      const data = enc.encode(w.value);
      if (await file.write(data) !== data.length) throw new Error("short write");
    } catch (err) {
      throw cgroupError("write", w.path, err, ` "${w.value}"`);
    }
  }
}

/**
 * Remove freshly made, still empty directories (undo of a failed create),
 * children first. Best effort: an error here must not hide the original one,
 * so failures are reported on stderr.
 */
export function undoDirs(fs: CgroupFs, dirs: string[]): void {
  for (const d of [...dirs].reverse()) {
    try {
      fs.rmdir(d);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue; // nothing to undo
      console.error(
        `tsbox: warning: cannot remove cgroup ${d}: ${err instanceof Error ? err.message : err}`,
      );
    }
  }
}

/** How long destroy waits for lingering (exiting) tasks. */
const BUSY_RETRIES = 40;
const BUSY_DELAY_MS = 25;

/**
 * rmdir each of `dirs` with its sub-cgroups, children first (on v2 a
 * container's delegated cgroup may hold its own tree — systemd or a nested
 * runtime in the container — and rmdir of a cgroup with children is EBUSY);
 * missing is fine (idempotent); EBUSY is retried for about a second because
 * a killed task leaves its cgroup a moment after the parent reaped it.
 * @throws {CgroupError} a directory stays busy or rmdir fails otherwise.
 */
export async function removeDirs(fs: CgroupFs, dirs: string[]): Promise<void> {
  for (const d of dirs) {
    let children: string[];
    try {
      children = fs.subdirs(d);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue; // already removed
      throw cgroupError("list", d, err);
    }
    await removeDirs(fs, children.map((c) => join(d, c)));
    await rmdirRetrying(fs, d);
  }
}

/**
 * rmdir each of `dirs` once, as they are: the usual end of a container,
 * whose tasks are gone and which made no sub-cgroups, then costs one
 * system call per hierarchy, with nothing listed or read. Missing is fine.
 * @returns the directories still there (busy: tasks, or sub-cgroups), for
 *   `removeDirs` and its waits.
 * @throws {CgroupError} rmdir failed otherwise.
 */
export function removeIdle(fs: CgroupFs, dirs: string[]): string[] {
  return dirs.filter((d) => {
    try {
      fs.rmdir(d);
      return false;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false; // already removed
      if (isBusy(err)) return true;
      throw cgroupError("rmdir", d, err);
    }
  });
}

/** rmdir one (childless) cgroup, retrying EBUSY while exiting tasks linger. */
async function rmdirRetrying(fs: CgroupFs, d: string): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      fs.rmdir(d);
      return;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return; // already removed
      if (isBusy(err) && attempt < BUSY_RETRIES) {
        await new Promise((r) => setTimeout(r, BUSY_DELAY_MS));
        continue;
      }
      if (isBusy(err)) {
        throw new CgroupError(`remove cgroup ${d}: still has processes`, {
          op: "rmdir",
          path: d,
          cause: err,
          hint: "kill the container's processes first",
        });
      }
      throw cgroupError("rmdir", d, err);
    }
  }
}

/** EBUSY: Deno raises a plain Error with `code` for it on rmdir, `Busy` elsewhere. */
function isBusy(err: unknown): boolean {
  return err instanceof Deno.errors.Busy || (err as { code?: unknown })?.code === "EBUSY";
}

/** Read a control file, trimmed; undefined when it does not exist. */
export function readOptional(fs: CgroupFs, path: string): string | undefined {
  try {
    return fs.read(path).trim();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // controller not in this hierarchy
    throw cgroupError("read", path, err);
  }
}

/** `key value` lines (memory.stat, cpu.stat, memory.events …) → map. */
export function parseKeyed(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? "").split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}
