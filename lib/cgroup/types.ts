/**
 * Shapes shared by the cgroup drivers: the parsed limits (stored in a
 * container's config.json, so plain JSON), the stats, the host facts the
 * parser checks against, and the driver interface both v1 and v2 implement.
 * @module
 */

/**
 * Resource limits after flag parsing, in kernel units. Absent = not set
 * (the kernel default applies). JSON-safe: it is stored in config.json.
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
}

/** The cgroup(s) of one container, in every hierarchy the driver uses. */
export interface ContainerCgroup {
  /** The cgroup's name (`tsbox-<id>`). */
  readonly name: string;
  /** Directories of this cgroup (one per v1 hierarchy, one on v2). */
  readonly paths: string[];
  /**
   * Move process `pid` (and its future children) into the cgroup.
   * Needs root. @throws {CgroupError} the kernel refused (e.g. pid gone).
   */
  addProcess(pid: number): void;
  /** Read the counters. @throws {CgroupError} a counter file is unreadable. */
  stats(): CgroupStats;
  /** True when the OOM killer killed a task of this cgroup. */
  oomKilled(): boolean;
  /**
   * Freeze (`pause`) or thaw (`unpause`) every task of the cgroup (v1
   * freezer, v2 cgroup.freeze). Needs root.
   * @throws {CgroupError} no freezer for this cgroup, or the kernel refused.
   */
  setFrozen(frozen: boolean): void;
  /** The kernel's freezer state: "frozen", "freezing" (v1, in progress) or "thawed". */
  freezerState(): "frozen" | "freezing" | "thawed";
  /**
   * Write `limits` (the whole new set) to the live cgroup (`update`). Needs root.
   * @throws {CgroupError} the kernel rejected a value (e.g. memory below current use).
   */
  update(limits: ResourceLimits): void;
  /**
   * Remove the directories. The caller kills the processes first; EBUSY is
   * retried briefly (exiting tasks linger a moment). Idempotent.
   * @throws {CgroupError} still busy after the retries.
   */
  destroy(): Promise<void>;
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
}
