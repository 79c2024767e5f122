/**
 * cgroup v2 driver (unified hierarchy): one cgroup per container below
 * the mount root — `tsbox-<id>` for `tsbox run`, or an OCI cgroupsPath
 * such as `/docker/<id>` — with the controllers it uses enabled in the
 * cgroup.subtree_control of the root and of every parent (left enabled
 * afterwards, as docker and systemd do: other cgroups may rely on them). Device rules become a
 * BPF device program attached to the container's directory.
 * @module
 */

import { join } from "../../posix_path.ts";
import { CgroupError } from "../../errors.ts";
import type {
  CgroupBpf,
  CgroupDriver,
  CgroupStats,
  ContainerCgroup,
  ProcessKiller,
  ResourceLimits,
} from "../types.ts";
import type { CgroupFs } from "../fs.ts";
import {
  applyWrites,
  checkName,
  makeDirs,
  readOptional,
  removeDirs,
  removeIdle,
  undoDirs,
} from "../apply.ts";
import { planSubtree, planV2, type V2PlanContext } from "./plan.ts";
import { readMemoryV2, readOomKillsV2 } from "./memory.ts";
import { readCpuUsageNsV2 } from "./cpu.ts";
import { readPids } from "../pids.ts";
import { missingController } from "../needs.ts";
import { deviceProgram, encodeProgram } from "./device_prog.ts";
import { parseCgroupsPath } from "../cgroups_path.ts";
import { makeParents, parentDirs } from "../parents.ts";
import { hugetlbFile } from "../hugetlb.ts";
import { unifiedControllers } from "./unified.ts";
import { freezeV2, frozenV2, thawV2 } from "../freezer.ts";
import { removalOrder, treePids } from "../tree.ts";
import { killCgroup } from "../kill_all.ts";
import { blkio, readIoV2 } from "../io_stats.ts";

/** The v2 backend. Construct through `openCgroups()`. */
export class V2Driver implements CgroupDriver {
  readonly version = 2 as const;
  readonly #fs: CgroupFs;
  readonly #root: string;
  readonly #bpf: CgroupBpf;

  /** @throws {CgroupError} `root` is not a cgroup2 mount root. */
  constructor(root: string, fs: CgroupFs, bpf: CgroupBpf) {
    this.#fs = fs;
    this.#root = root;
    this.#bpf = bpf;
    if (!fs.exists(join(root, "cgroup.controllers"))) {
      throw new CgroupError(`${root} is not a cgroup v2 mount (no cgroup.controllers)`, {
        path: root,
      });
    }
  }

  /** Words of a control file of the root (cgroup.controllers, cgroup.subtree_control). */
  #words(file: string): string[] {
    const p = join(this.#root, file);
    return (readOptional(this.#fs, p) ?? "").split(/\s+/).filter(Boolean);
  }

  /** @throws {CgroupError} a controller `limits` needs is not offered by the root, a unified key is malformed or its controller missing, or a device rule is malformed. */
  validate(limits: ResourceLimits): void {
    if (limits.devices !== undefined) deviceProgram(limits.devices);
    const available = this.#words("cgroup.controllers");
    const miss = missingController(limits, (c) => available.includes(c));
    if (miss) {
      throw new CgroupError(
        `cgroup v2 controller '${miss.controller}' is not available in ${this.#root}/cgroup.controllers (needed for ${miss.flags})`,
      );
    }
    const unified = unifiedControllers(limits.unified).find((c) => !available.includes(c));
    if (unified) {
      throw new CgroupError(
        `cgroup v2 controller '${unified}' is not available in ${this.#root}/cgroup.controllers (needed for linux.resources.unified)`,
      );
    }
  }

  /**
   * Enable controllers, make the directory, write `limits`, attach the
   * device filter; the directory is undone on failure. Needs root.
   */
  create(name: string, limits: ResourceLimits): ContainerCgroup {
    checkName(name);
    return this.#create([name], limits);
  }

  /**
   * The same at cgroupsPath `path`: missing parents are made, and each
   * parent enables the controllers in its cgroup.subtree_control, so they
   * reach the container. Needs root.
   */
  createAt(path: string, limits: ResourceLimits): ContainerCgroup {
    return this.#create(parseCgroupsPath(path), limits);
  }

  #create(parts: string[], limits: ResourceLimits): ContainerCgroup {
    this.validate(limits);
    const program = limits.devices && encodeProgram(deviceProgram(limits.devices));
    const fs = this.#fs;
    const madeParents: string[] = [];
    const dir = join(this.#root, ...parts);
    try {
      this.#enable(this.#root, limits);
      for (const p of parentDirs(this.#root, parts)) {
        makeParents(fs, [p], madeParents);
        this.#enable(p, limits);
      }
      makeDirs(fs, [dir]);
      try {
        applyWrites(fs, planV2(limits, dir, planContext(fs, dir, limits)));
        // before any process joins: the program applies from its first open
        if (program) this.#attach(dir, program);
      } catch (err) {
        undoDirs(fs, [dir]);
        throw err;
      }
    } catch (err) {
      undoDirs(fs, madeParents);
      throw err;
    }
    return new V2Cgroup(fs, "/" + parts.join("/"), dir);
  }

  /**
   * Switch on, in `parent`, the controllers `limits` needs (and those for stats, tolerated).
   *
   * A cgroup other than the real root that has processes of its own (the mount root
   * seen from inside a container's cgroup namespace, a systemd scope) cannot give
   * domain controllers (memory) to children, and enabling the threaded ones (cpu,
   * cpuset, pids) there first turns it into a thread root, after which memory fails
   * with a puzzling EOPNOTSUPP. So such a cgroup is left alone: an error when the
   * limits need a controller, one warning otherwise.
   * @throws {CgroupError} a needed controller cannot be enabled.
   */
  #enable(parent: string, limits: ResourceLimits): void {
    const words = (file: string) =>
      (readOptional(this.#fs, join(parent, file)) ?? "").split(/\s+/).filter(Boolean);
    const steps = planSubtree(
      parent,
      words("cgroup.controllers"),
      words("cgroup.subtree_control"),
      limits,
    );
    if (steps.length === 0) return;
    // only non-root cgroups have cgroup.type; the root may hold processes and controllers
    const internal = this.#fs.exists(join(parent, "cgroup.type")) &&
      (readOptional(this.#fs, join(parent, "cgroup.procs")) ?? "").trim() !== "";
    if (internal) {
      const names = steps.map((s) => s.controller).join(", ");
      const e = new CgroupError(
        `cannot enable ${names} in ${parent}: it has processes of its own (cgroup v2 lets only cgroups without processes, or the root, pass controllers to children)`,
        {
          path: parent,
          hint: "run tsbox where its cgroup root has no processes, or drop the limits",
        },
      );
      if (steps.some((s) => s.required)) throw e;
      console.error(`tsbox: warning: ${e.message}; no stats for them`);
      return;
    }
    for (const step of steps) {
      try {
        applyWrites(this.#fs, [step.write]);
      } catch (err) {
        if (step.required) throw err;
        // only wanted for stats (or skipped like runc): run without it rather than fail
        console.error(`tsbox: warning: ${err instanceof Error ? err.message : err}`);
      }
    }
  }

  /** Attach the device filter, as a CgroupError naming the cgroup. */
  #attach(dir: string, program: Uint8Array): void {
    try {
      this.#bpf.attachDeviceFilter(dir, program);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new CgroupError(`attach device filter to ${dir}: ${why}`, {
        op: "bpf",
        path: dir,
        cause: err,
      });
    }
  }

  /** The existing cgroup `name`, or undefined. */
  open(name: string): ContainerCgroup | undefined {
    checkName(name);
    return this.#open([name]);
  }

  /** The existing cgroup at cgroupsPath `path`, or undefined. */
  openAt(path: string): ContainerCgroup | undefined {
    return this.#open(parseCgroupsPath(path));
  }

  #open(parts: string[]): ContainerCgroup | undefined {
    const dir = join(this.#root, ...parts);
    return this.#fs.exists(dir) ? new V2Cgroup(this.#fs, "/" + parts.join("/"), dir) : undefined;
  }
}

/**
 * What the container's directory offers, for planV2.
 * @throws {CgroupError} a hugepage size the kernel does not have.
 */
function planContext(fs: CgroupFs, dir: string, limits: ResourceLimits): V2PlanContext {
  const has = (f: string) => fs.exists(join(dir, f));
  const hugetlb = (readOptional(fs, join(dir, "cgroup.controllers")) ?? "").split(/\s+/)
    .includes("hugetlb");
  if (hugetlb) {
    for (const h of limits.hugepageLimits ?? []) {
      if (!fs.exists(hugetlbFile(dir, h.pageSize, 2))) {
        throw new CgroupError(`hugepage size ${h.pageSize} is not supported by this host`);
      }
    }
  }
  return {
    swap: has("memory.swap.max"),
    ioWeightFile: has("io.bfq.weight")
      ? "io.bfq.weight"
      : has("io.weight")
      ? "io.weight"
      : undefined,
    hugetlb,
  };
}

/** One container's cgroup on the unified hierarchy. */
class V2Cgroup implements ContainerCgroup {
  readonly paths: string[];
  readonly name: string;
  constructor(readonly fs: CgroupFs, readonly path: string, readonly dir: string) {
    this.paths = [dir];
    this.name = path.slice(path.lastIndexOf("/") + 1);
  }

  addProcess(pid: number): void {
    const { early, late } = this.joinWrites(pid, () => true);
    applyWrites(this.fs, [...early, ...late]);
  }

  joinWrites(pid: number, early: (controller: string) => boolean) {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new CgroupError(`invalid pid ${pid}`);
    const write = [{ path: join(this.dir, "cgroup.procs"), value: String(pid) }];
    return early("unified") ? { early: write, late: [] } : { early: [], late: write };
  }

  stats(): CgroupStats {
    const mem = readMemoryV2(this.fs, this.dir);
    const pids = readPids(this.fs, this.dir, this.dir);
    return {
      memoryUsage: mem.usage,
      memoryLimit: mem.limit,
      cpuUsageNs: readCpuUsageNsV2(this.fs, this.dir),
      pids: pids.current,
      pidsLimit: pids.limit,
      oomKills: readOomKillsV2(this.fs, this.dir),
      ...blkio(readIoV2(this.fs, this.dir)),
    };
  }

  oomKilled(): boolean {
    return readOomKillsV2(this.fs, this.dir) > 0;
  }

  /** Write the limits given (devices excepted) into the live cgroup. */
  update(limits: ResourceLimits): void {
    const { devices: _devices, ...rest } = limits;
    unifiedControllers(rest.unified); // malformed keys: refused before any write
    applyWrites(this.fs, planV2(rest, this.dir, planContext(this.fs, this.dir, rest)));
  }

  async freeze(): Promise<void> {
    await freezeV2(this.fs, this.dir); // a missing freezer is a rejection too
  }

  thaw(): void {
    thawV2(this.fs, this.dir);
  }

  frozen(): boolean {
    return frozenV2(this.fs, this.dir);
  }

  pids(): number[] {
    return treePids(this.fs, this.paths);
  }

  killAll(kill: ProcessKiller): Promise<void> {
    const has = (f: string) => this.fs.exists(join(this.dir, f));
    const freezer = has("cgroup.freeze");
    return killCgroup(this.fs, {
      dir: this.dir,
      pids: () => this.pids(),
      cgroupKill: has("cgroup.kill") ? join(this.dir, "cgroup.kill") : undefined,
      freeze: freezer ? () => this.freeze() : undefined,
      thaw: freezer ? () => this.thaw() : undefined,
    }, kill);
  }

  async destroy(opts: { kill?: ProcessKiller } = {}): Promise<void> {
    // no task left and no sub-cgroup (a container's usual end): gone without a listing
    const busy = removeIdle(this.fs, this.paths);
    if (!busy.length) return;
    if (opts.kill && this.pids().length) await this.killAll(opts.kill);
    await removeDirs(this.fs, removalOrder(this.fs, busy));
  }
}
