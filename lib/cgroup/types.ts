import type { LinuxDeviceCgroup } from "../oci/spec.ts";

/**
 * Shapes shared by the cgroup drivers: the parsed limits (stored in a
 * container's container.json, so plain JSON), the stats, the host facts the
 * parser checks against, and the driver interface both v1 and v2 implement.
 * @module
 */

/**
 * Resource limits after flag parsing, in kernel units. Absent = not set
 * (the kernel default applies). JSON-safe: it is stored in container.json.
 */
export interface ResourceLimits {
  /** `--memory`: bytes. */
  memory?: number;
  /** `--memory-swap`: memory + swap in bytes; -1 = unlimited swap. */
  memorySwap?: number;
  /** `--memory-reservation`: soft limit in bytes. */
  memoryReservation?: number;
  /** `--cpus` as given; already folded into cpuQuota/cpuPeriod. */
  cpus?: number;
  /** `--cpu-shares` (v1 unit, 2…262144; converted to cpu.weight on v2). */
  cpuShares?: number;
  /** `--cpu-period` (or 100000 with `--cpus`): µs. */
  cpuPeriod?: number;
  /** `--cpu-quota` (or cpus × period): µs per period; -1 = unlimited. */
  cpuQuota?: number;
  /** `--cpuset-cpus`, normalized (`0-2,4`). */
  cpusetCpus?: string;
  /** `--cpuset-mems`, normalized. */
  cpusetMems?: string;
  /** `--pids-limit`; -1 = unlimited. */
  pidsLimit?: number;
  /**
   * Device access (OCI `linux.resources.devices`, in order; later rules
   * win): e.g. `DEFAULT_DEVICE_RULES` plus the `--device` rules. Absent =
   * no device restriction (the parent's access). v1: the devices
   * hierarchy; v2: a BPF_PROG_TYPE_CGROUP_DEVICE program on the cgroup.
   */
  devices?: LinuxDeviceCgroup[];
  /** OCI `memory.swappiness` (0…100; v1 memory.swappiness, ignored on v2 as runc does). */
  memorySwappiness?: number;
  /** OCI `memory.disableOOMKiller` (v1 memory.oom_control; ignored on v2 as runc does). */
  oomKillDisable?: boolean;
  /**
   * OCI `blockIO.weight` (10…1000). v1 blkio.weight (or blkio.bfq.weight),
   * v2 io.bfq.weight (or io.weight, converted); skipped when the host has
   * neither file, as runc does.
   */
  blkioWeight?: number;
  /**
   * OCI `hugepageLimits`: `pageSize` like `2MB`, limit in bytes. Skipped
   * when the host has no hugetlb controller (as runc does).
   */
  hugepageLimits?: { pageSize: string; limit: number }[];
  /** OCI `unified`: v2 control file → value, written last (v2 only). */
  unified?: Record<string, string>;
}

/** Facts about the host that flag validation needs. */
export interface HostInfo {
  /** Online CPU numbers (ascending). */
  cpus: number[];
  /** Online memory (NUMA) node numbers (ascending). */
  mems: number[];
}

/** One write of the plan: `value` into the control file `path`. */
export interface CgroupWrite {
  /** Absolute path of the control file. */
  path: string;
  /** What to write (no trailing newline). */
  value: string;
}

/** A sample of a container cgroup's counters. */
export interface CgroupStats {
  /** Memory in use, bytes, minus inactive file cache (what docker shows). */
  memoryUsage: number;
  /** Memory limit in bytes; undefined when unlimited. */
  memoryLimit: number | undefined;
  /** Total CPU time used, nanoseconds. */
  cpuUsageNs: number;
  /** Number of tasks (processes and threads) in the cgroup. */
  pids: number;
  /** Task limit; undefined when unlimited. */
  pidsLimit: number | undefined;
  /** Times the OOM killer killed a task of this cgroup. */
  oomKills: number;
  /** Block I/O bytes read / written (blkio / io.stat; 0 where the kernel does not count). */
  blkioRead?: number;
  blkioWrite?: number;
}

/**
 * Sends a signal to a host pid; false when the process is gone (ESRCH).
 * The real one is `kill` of ffi/process.ts.
 */
export type ProcessKiller = (pid: number, signal: number) => boolean;

/** The cgroup(s) of one container, in every hierarchy the driver uses. */
export interface ContainerCgroup {
  /** The cgroup's last path component (`tsbox-<id>`, `libpod-<id>`). */
  readonly name: string;
  /** Its normalized path below each hierarchy root (`/tsbox-<id>`, `/docker/<id>`). */
  readonly path: string;
  /** Directories of this cgroup (one per v1 hierarchy, one on v2). */
  readonly paths: string[];
  /**
   * Move process `pid` (and its future children) into the cgroup.
   * Needs root. @throws {CgroupError} the kernel refused (e.g. pid gone).
   */
  addProcess(pid: number): void;
  /**
   * The `cgroup.procs` writes that move `pid` in, split by `early(c)`
   * (see early_join.ts): a directory goes early only when every controller
   * mounted there may (`"unified"` names the v2 cgroup). Writing both
   * lists is `addProcess`.
   */
  joinWrites(pid: number, early: (controller: string) => boolean): {
    early: CgroupWrite[];
    late: CgroupWrite[];
  };
  /** Read the counters. @throws {CgroupError} a counter file is unreadable. */
  stats(): CgroupStats;
  /** True when the OOM killer killed a task of this cgroup. */
  oomKilled(): boolean;
  /**
   * Write the limits present in `limits` into the live cgroup (the
   * `update` verb; absent = unchanged). Device rules are not updated.
   * Needs root. @throws {CgroupError} a controller is missing or the
   * kernel rejected a value (values written before it stay).
   */
  update(limits: ResourceLimits): void;
  /**
   * Freeze every task (v1 freezer.state FROZEN, v2 cgroup.freeze 1) and
   * wait, bounded, until the kernel reports the cgroup frozen; on failure
   * it is thawed again. Needs root.
   * @throws {CgroupError} no freezer, or it did not freeze in time.
   */
  freeze(): Promise<void>;
  /** Thaw the cgroup (THAWED / 0). Needs root. @throws {CgroupError} no freezer or the write failed. */
  thaw(): void;
  /**
   * True when this cgroup itself is frozen (or freezing); a cgroup frozen
   * only through an ancestor is not. False without a freezer.
   */
  frozen(): boolean;
  /**
   * Every host pid in the cgroup and its nested sub-cgroups (all
   * hierarchies), ascending. Empty once destroyed.
   */
  pids(): number[];
  /**
   * SIGKILL every process, even a frozen one (v2 cgroup.kill where the
   * kernel has it; else freeze, signal each pid, thaw, as runc does), and
   * wait, bounded, until the cgroup is empty. Needs root.
   * @throws {CgroupError} processes remain.
   */
  killAll(kill: ProcessKiller): Promise<void>;
  /**
   * Remove the container's own directories, nested sub-cgroups first —
   * never the parents it was created under. With `kill`, `killAll(kill)`
   * runs first (needed for a frozen cgroup); otherwise the caller kills the
   * processes first. EBUSY is retried briefly (exiting tasks linger a
   * moment). Idempotent.
   * @throws {CgroupError} still busy after the retries.
   */
  destroy(opts?: { kill?: ProcessKiller }): Promise<void>;
}

/**
 * Attaching a device filter to a cgroup v2 directory: the kernel side of
 * the v2 devices "controller" (the real one is `bpfCgroupDevices` in
 * ffi/bpf.ts; tests of the v2 driver on a fake tree pass a recorder).
 */
export interface CgroupBpf {
  /**
   * Load `program` (eBPF instructions, 8 bytes each) as a
   * BPF_PROG_TYPE_CGROUP_DEVICE program and attach it to cgroup directory
   * `dir` with BPF_F_ALLOW_MULTI. The attachment lives as long as the
   * cgroup; no fd is kept. Needs root (CAP_SYS_ADMIN / CAP_BPF).
   * @throws {SyscallError} the verifier or the attach refused it.
   */
  attachDeviceFilter(dir: string, program: Uint8Array): void;
}

/** A cgroup version backend. */
export interface CgroupDriver {
  /** 1 (legacy/hybrid hierarchies) or 2 (unified). */
  readonly version: 1 | 2;
  /**
   * Check that every controller `limits` needs is available, creating
   * nothing. @throws {CgroupError} a needed controller is missing.
   */
  validate(limits: ResourceLimits): void;
  /**
   * Create cgroup `name` (a single path component) in every needed
   * hierarchy and write `limits`; on failure removes what it created.
   * Needs root. @throws {CgroupError} exists already, controller missing,
   * or the kernel rejected a value.
   */
  create(name: string, limits: ResourceLimits): ContainerCgroup;
  /** The existing cgroup `name`, or undefined when there is none. */
  open(name: string): ContainerCgroup | undefined;
  /**
   * Create the cgroup at OCI `linux.cgroupsPath` `path` (`/docker/<id>`,
   * `/libpod_parent/libpod-<id>`; relative paths are placed under the
   * hierarchy root too) in every hierarchy, making missing parents, and
   * write `limits`. The container's own directory must not exist; what
   * this call made is removed on failure. Needs root.
   * @throws {CgroupError} invalid or systemd-style path, exists already,
   *   controller missing, or the kernel rejected a value.
   */
  createAt(path: string, limits: ResourceLimits): ContainerCgroup;
  /** The existing cgroup at `path` (see `createAt`), or undefined. @throws {CgroupError} invalid path. */
  openAt(path: string): ContainerCgroup | undefined;
}
