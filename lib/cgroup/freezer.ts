/**
 * Freezing a container's cgroup (the `pause`/`resume` verbs, and a stable
 * pid list for `kill --all`). v1: the freezer controller's
 * `freezer.state` (THAWED / FREEZING / FROZEN); v2: `cgroup.freeze` with
 * the result in `cgroup.events` (`frozen 1`). Needs root to write.
 *
 * v1 can stay FREEZING while tasks keep forking or joining; as runc does,
 * FROZEN is re-requested in a bounded loop with an occasional thaw, and a
 * cgroup that does not freeze is thawed again rather than left half-frozen.
 * @module
 */

import { join } from "../posix_path.ts";
import { CgroupError } from "../errors.ts";
import type { CgroupFs } from "./fs.ts";
import { applyWrites, cgroupError, readOptional } from "./apply.ts";

/** v1: FROZEN requests before giving up (runc: 1000). */
const V1_TRIES = 1000;
/** v2: cgroup.events reads before giving up, DELAY ms apart (runc: 1000 × 10 ms). */
const V2_TRIES = 1000;
const V2_DELAY_MS = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function read(fs: CgroupFs, path: string): string {
  try {
    return fs.read(path).trim();
  } catch (err) {
    throw cgroupError("read", path, err);
  }
}

/** The freezer directory, or a CgroupError saying there is none. */
export function needFreezer(dir: string | undefined, what: string): string {
  if (dir === undefined) {
    throw new CgroupError(`${what}: the cgroup v1 'freezer' hierarchy is not mounted`, {
      hint: "mount it at /sys/fs/cgroup/freezer",
    });
  }
  return dir;
}

/** v1: freeze `dir` and wait until FROZEN. @throws {CgroupError} still FREEZING after the retries (thawed again). */
export async function freezeV1(fs: CgroupFs, dir: string): Promise<void> {
  const state = join(dir, "freezer.state");
  const set = (v: string) => applyWrites(fs, [{ path: state, value: v }]);
  let done = false;
  try {
    for (let i = 0; i < V1_TRIES; i++) {
      if (i % 50 === 49) {
        // new tasks keep appearing: let them settle, then try again
        set("THAWED");
        await sleep(10);
      }
      set("FROZEN");
      const s = read(fs, state);
      if (s === "FROZEN") {
        done = true;
        return;
      }
      if (s !== "FREEZING") throw new CgroupError(`freeze ${dir}: unexpected freezer.state ${s}`);
      if (i >= 10) await sleep(1);
    }
    throw new CgroupError(`freeze ${dir}: still FREEZING after ${V1_TRIES} tries`, {
      hint: "processes keep forking or joining the cgroup",
    });
  } finally {
    if (!done) thawV1(fs, dir, true);
  }
}

/** v1: thaw `dir`. `quiet`: undo after a failure, reported on stderr instead of thrown. */
export function thawV1(fs: CgroupFs, dir: string, quiet = false): void {
  try {
    applyWrites(fs, [{ path: join(dir, "freezer.state"), value: "THAWED" }]);
  } catch (err) {
    if (!quiet) throw err;
    console.error(`tsbox: warning: ${err instanceof Error ? err.message : err}`);
  }
}

/**
 * v1: frozen or freezing by itself. FROZEN through an ancestor only
 * (freezer.self_freezing 0) is not; a kernel without self_freezing counts
 * FROZEN as frozen.
 */
export function frozenV1(fs: CgroupFs, dir: string | undefined): boolean {
  if (dir === undefined) return false;
  const s = readOptional(fs, join(dir, "freezer.state"));
  if (s === undefined || s === "THAWED") return false;
  return readOptional(fs, join(dir, "freezer.self_freezing")) !== "0";
}

/** v2: the cgroup.freeze file, or a CgroupError when the kernel has none (< 5.2). */
function freezeFile(fs: CgroupFs, dir: string, what: string): string {
  const f = join(dir, "cgroup.freeze");
  if (!fs.exists(f)) {
    throw new CgroupError(`${what} ${dir}: the kernel has no cgroup v2 freezer (cgroup.freeze)`, {
      hint: "Linux 5.2 or later is needed",
    });
  }
  return f;
}

/** v2: freeze `dir` and wait until cgroup.events says `frozen 1`. @throws {CgroupError} timeout (thawed again). */
export async function freezeV2(fs: CgroupFs, dir: string): Promise<void> {
  const f = freezeFile(fs, dir, "freeze");
  applyWrites(fs, [{ path: f, value: "1" }]);
  const events = join(dir, "cgroup.events");
  for (let i = 0; i < V2_TRIES; i++) {
    if (/^frozen 1$/m.test(read(fs, events))) return;
    await sleep(V2_DELAY_MS);
  }
  thawV2(fs, dir, true);
  throw new CgroupError(`freeze ${dir}: not frozen after ${(V2_TRIES * V2_DELAY_MS) / 1000} s`);
}

/** v2: thaw `dir` (cgroup.freeze 0). `quiet`: undo after a failure, reported on stderr. */
export function thawV2(fs: CgroupFs, dir: string, quiet = false): void {
  try {
    applyWrites(fs, [{ path: freezeFile(fs, dir, "thaw"), value: "0" }]);
  } catch (err) {
    if (!quiet) throw err;
    console.error(`tsbox: warning: ${err instanceof Error ? err.message : err}`);
  }
}

/** v2: this cgroup asked to be frozen (cgroup.freeze 1); an ancestor's freeze does not count. */
export function frozenV2(fs: CgroupFs, dir: string): boolean {
  return readOptional(fs, join(dir, "cgroup.freeze")) === "1";
}
