/**
 * SIGKILL everything in a container's cgroup, frozen or not, and wait
 * until it is empty: what `delete --force` and destroy need. With v2's
 * `cgroup.kill` (Linux ≥ 5.14) the kernel does it for the whole subtree;
 * otherwise, as runc does, the cgroup is frozen (so nothing forks while
 * the pids are read), every pid is signalled, and it is thawed so the
 * signals are delivered (a v1-frozen task does not die until thawed).
 * @module
 */

import { CgroupError } from "../errors.ts";
import type { CgroupFs } from "./fs.ts";
import type { ProcessKiller } from "./types.ts";
import { applyWrites } from "./apply.ts";

const SIGKILL = 9;
/** Polls of the pid list after the kill, DELAY ms apart (~5 s). */
const WAIT_TRIES = 200;
const WAIT_DELAY_MS = 25;

/** What `killCgroup` needs of a container cgroup. */
export interface KillTarget {
  /** Its first directory, for messages. */
  dir: string;
  /** Every pid in the tree. */
  pids(): number[];
  /** Freeze, or undefined without a freezer. */
  freeze?: () => Promise<void>;
  /** Thaw, or undefined without a freezer. */
  thaw?: () => void;
  /** v2: the cgroup.kill file when the kernel has it. */
  cgroupKill?: string;
}

/**
 * Kill every process of `t` and wait, bounded, until none is left.
 * @throws {CgroupError} processes remain.
 */
export async function killCgroup(fs: CgroupFs, t: KillTarget, kill: ProcessKiller): Promise<void> {
  const signalAll = () => {
    for (const pid of t.pids()) kill(pid, SIGKILL); // false: exited meanwhile
  };
  if (t.cgroupKill) {
    applyWrites(fs, [{ path: t.cgroupKill, value: "1" }]);
  } else {
    if (t.freeze) {
      try {
        await t.freeze();
      } catch (err) {
        // a freeze that does not settle must not stop the kill: signal them thawed
        console.error(`tsbox: warning: ${err instanceof Error ? err.message : err}`);
      }
    }
    signalAll();
    t.thaw?.(); // also when it was frozen before this call: let the kills land
  }
  for (let i = 0; i < WAIT_TRIES; i++) {
    if (t.pids().length === 0) return;
    await new Promise((r) => setTimeout(r, WAIT_DELAY_MS));
    if (!t.cgroupKill) signalAll(); // a child forked just before the freeze
  }
  throw new CgroupError(`kill the processes of cgroup ${t.dir}: ${t.pids().length} remain`, {
    hint: "a process in uninterruptible sleep (D state) cannot be killed",
  });
}
