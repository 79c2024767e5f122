/**
 * Which of a container's controllers may take the init while it is still
 * starting and building the container, and which must wait until its
 * setup is done (just before it execs the command).
 *
 * The first move of a task into a cgroup after a quiet spell costs the
 * kernel an RCU grace period (the cgroup threadgroup rwsem's
 * `rcu_sync_enter`): ~15–20 ms on this host, during which the writer only
 * sleeps. Done while the init's runtime starts, that wait is hidden; done
 * at the end, the container's start waits for it. A controller joins early
 * only when nothing the container sets there can constrain the init — its
 * runtime's memory, threads, CPU time, I/O or the device nodes it makes
 * and opens: memory and pids limits would count the init's runtime (a
 * small `--memory` would OOM-kill it, a `--pids-limit` would refuse its
 * threads), a CPU quota would throttle its start-up. Those join late, as
 * before. `beginCgroupJoin` does the writes.
 * @module
 */

import type { ContainerCgroup, ResourceLimits } from "./types.ts";
import type { LinuxDevice, Spec } from "../oci/spec.ts";
import { applyWrites, applyWritesAsync } from "./apply.ts";
import { realCgroupFs } from "./fs.ts";
import {
  ACC_MKNOD,
  ACC_READ,
  ACC_WRITE,
  deviceAllowed,
  normalizeDeviceRules,
} from "./device_rules.ts";

/** What the init does under the device controller: the nodes it makes, whether it opens a pty. */
export interface InitDeviceUse {
  /** `linux.devices`: each is mknod'ed (unless bound from the host). */
  nodes: readonly Pick<LinuxDevice, "type" | "major" | "minor">[];
  /** `process.terminal`: the init opens /dev/ptmx (c 5:2) and its pts (c 136:*). */
  terminal: boolean;
}

const PTMX = { major: 5, minor: 2 };
const PTS_MAJOR = 136;

/** True when every device access of the init is allowed by `limits.devices` (absent: no rules). */
function devicesAllowInit(limits: ResourceLimits, use: InitDeviceUse): boolean {
  if (!limits.devices) return true;
  let set;
  try {
    set = normalizeDeviceRules(limits.devices);
  } catch {
    return false; // malformed rules fail at create, never here; join late to be safe
  }
  const rw = ACC_READ | ACC_WRITE;
  for (const d of use.nodes) {
    if (d.type !== "c" && d.type !== "b") continue; // fifos need no device access
    if (!deviceAllowed(set, d.type, d.major ?? -1, d.minor ?? -1, ACC_MKNOD)) return false;
  }
  if (use.terminal) {
    if (!deviceAllowed(set, "c", PTMX.major, PTMX.minor, rw)) return false;
    if (!deviceAllowed(set, "c", PTS_MAJOR, -1, rw)) return false;
  }
  return true;
}

const has = (v: unknown) => v !== undefined && v !== -1;

/**
 * Whether v1 controller `c` (or the v2 cgroup as a whole, `"unified"`)
 * leaves the init unconstrained under `limits`: then it may join before
 * the init's setup.
 */
export function joinsEarly(c: string, limits: ResourceLimits, use: InitDeviceUse): boolean {
  const memory = has(limits.memory) || has(limits.memorySwap) ||
    has(limits.memoryReservation) || limits.oomKillDisable === true;
  const pids = has(limits.pidsLimit);
  // shares only weigh against other cgroups under contention: a quota caps
  const cpu = has(limits.cpuQuota) && (limits.cpuQuota ?? 0) > 0;
  const cpuset = limits.cpusetCpus !== undefined || limits.cpusetMems !== undefined;
  switch (c) {
    case "memory":
      return !memory;
    case "pids":
      return !pids;
    case "cpu":
      return !cpu;
    case "cpuset":
      return !cpuset;
    case "devices":
      return devicesAllowInit(limits, use);
    case "blkio":
      return true; // the init reads only its runtime's files, already in the page cache
    case "unified":
      return !memory && !pids && !cpu && !cpuset && !limits.unified &&
        devicesAllowInit(limits, use);
    default:
      return true; // cpuacct, freezer, hugetlb, net_cls, perf_event, name=systemd: count, not limit
  }
}

/** A cgroup join begun while the init starts: `finish` completes it before "go". */
export interface CgroupJoin {
  /** Whether some controllers join late (memory, pids, cpu limits): `finish` then waits for "ready". */
  readonly late: boolean;
  /** Await the early writes, then make the late ones. @throws {CgroupError} a write was refused. */
  finish(): Promise<void>;
}

/**
 * Begin moving the init (`pid`, in the host's view) into `cgroup`: the
 * controllers that cannot constrain the init (early_join.ts) are written
 * now, off the main thread, so the kernel's grace period overlaps the
 * init's start-up; the rest wait for `finish`, called once the init is
 * ready — its own memory, threads and CPU time are then no longer the
 * container's to limit (with no such rest, `finish` may come earlier).
 */
export function beginCgroupJoin(
  cgroup: ContainerCgroup,
  pid: number,
  limits: ResourceLimits,
  oci: Spec,
): CgroupJoin {
  const use = { nodes: oci.linux?.devices ?? [], terminal: oci.process?.terminal === true };
  const { early, late } = cgroup.joinWrites(pid, (c) => joinsEarly(c, limits, use));
  // Only the first write waits for the grace period, off the main thread; the others follow
  // within it and cost ~50 µs each, made at once in one turn. Made one by one as async writes,
  // each would wait for a turn of a main thread busy with the start.
  const [first, ...rest] = early;
  const now = (async () => {
    if (first) await applyWritesAsync([first]);
    applyWrites(realCgroupFs, rest);
  })();
  now.catch(() => {}); // reported by finish
  return {
    late: late.length > 0,
    async finish() {
      await now;
      applyWrites(realCgroupFs, late);
    },
  };
}
