/**
 * cgroup v1 driver (legacy and hybrid layouts): one cgroup per container
 * at the same path below each hierarchy root (memory, cpu, cpuacct,
 * cpuset, pids, devices, freezer, blkio, hugetlb — those mounted) —
 * `tsbox-<id>` for `tsbox run`, or an OCI cgroupsPath such as
 * `/docker/<id>`. Co-mounted controllers (`cpu,cpuacct`) are found
 * through their symlinks and share one directory.
 * @module
 */

import { join } from "../../posix_path.ts";
import { CgroupError } from "../../errors.ts";
import type {
  CgroupDriver,
  CgroupStats,
  ContainerCgroup,
  ProcessKiller,
  ResourceLimits,
} from "../types.ts";
import type { CgroupFs } from "../fs.ts";
import {
  applyWrites,
  cgroupError,
  checkName,
  makeDirs,
  removeDirs,
  removeIdle,
  undoDirs,
} from "../apply.ts";
import { V1_CONTROLLERS } from "../host.ts";
import { planV1, type V1Controller } from "./plan.ts";
import { readMemory, readOomKills } from "./memory.ts";
import { readCpuUsageNs } from "./cpu.ts";
import { readPids } from "../pids.ts";
import { missingController } from "../needs.ts";
import { normalizeDeviceRules } from "../device_rules.ts";
import { parseCgroupsPath } from "../cgroups_path.ts";
import { makeParents, parentDirs } from "../parents.ts";
import { BLKIO_WEIGHT_FILES } from "./blkio.ts";
import { hugetlbFile } from "../hugetlb.ts";
import { freezeV1, frozenV1, needFreezer, thawV1 } from "../freezer.ts";
import { removalOrder, treePids } from "../tree.ts";
import { killCgroup } from "../kill_all.ts";
import { blkio, readIoV1 } from "../io_stats.ts";

type Dirs = Partial<Record<V1Controller, string>>;

/** Read a control file, trimmed, as a CgroupError on failure. */
function readFile(fs: CgroupFs, p: string): string {
  try {
    return fs.read(p).trim();
  } catch (err) {
    throw cgroupError("read", p, err);
  }
}

/**
 * Refuse what v1 cannot do: a needed controller that is not mounted,
 * malformed device rules, `unified`, a hugepage size the host lacks.
 * `has`: the hierarchy is there; `hugetlb`: a directory of it.
 * @throws {CgroupError} naming the limit.
 */
function validateV1(
  fs: CgroupFs,
  limits: ResourceLimits,
  has: (c: V1Controller) => boolean,
  hugetlb: string | undefined,
): void {
  const miss = missingController(limits, has);
  if (miss) {
    throw new CgroupError(
      `cgroup v1 '${miss.controller}' hierarchy is not mounted (needed for ${miss.flags})`,
    );
  }
  if (limits.unified && Object.keys(limits.unified).length) {
    throw new CgroupError(
      "linux.resources.unified needs cgroup v2; this host has cgroup v1 hierarchies",
    );
  }
  for (const h of limits.hugepageLimits ?? []) {
    // no hugetlb hierarchy: skipped, as runc does
    if (hugetlb && !fs.exists(hugetlbFile(hugetlb, h.pageSize, 1))) {
      throw new CgroupError(`hugepage size ${h.pageSize} is not supported by this host`);
    }
  }
  if (limits.devices === undefined) return;
  normalizeDeviceRules(limits.devices);
  if (!has("devices")) {
    // running without it would leave every device open to the container
    throw new CgroupError(
      "cgroup v1 'devices' hierarchy is not mounted (needed for device rules)",
    );
  }
}

/** The blkio weight file present in `dir`, if any. */
function blkioWeightFile(fs: CgroupFs, dir: string | undefined): string | undefined {
  return dir ? BLKIO_WEIGHT_FILES.find((f) => fs.exists(join(dir, f))) : undefined;
}

/** The v1 backend. Construct through `openCgroups()`. */
export class V1Driver implements CgroupDriver {
  readonly version = 1 as const;
  readonly #fs: CgroupFs;
  /** controller → hierarchy root (symlinks resolved). */
  readonly #hier = new Map<V1Controller, string>();

  /** Find the hierarchies under `root`. @throws {CgroupError} none mounted. */
  constructor(root: string, fs: CgroupFs) {
    this.#fs = fs;
    for (const c of V1_CONTROLLERS) {
      const p = join(root, c);
      if (fs.exists(join(p, "cgroup.procs"))) this.#hier.set(c, fs.realPath(p));
    }
    if (this.#hier.size === 0) {
      throw new CgroupError(`no cgroup v1 hierarchy found under ${root}`, { path: root });
    }
  }

  /** @throws {CgroupError} a hierarchy `limits` needs is not mounted, a device rule is malformed, unified is set, or a hugepage size is unknown. */
  validate(limits: ResourceLimits): void {
    validateV1(this.#fs, limits, (c) => this.#hier.has(c), this.#hier.get("hugetlb"));
  }

  /** Make `name` in every hierarchy and write `limits`; undone on failure. Needs root. */
  create(name: string, limits: ResourceLimits): ContainerCgroup {
    checkName(name);
    return this.#create([name], limits);
  }

  /** Make the cgroup at cgroupsPath `path` (parents as needed). Needs root. */
  createAt(path: string, limits: ResourceLimits): ContainerCgroup {
    return this.#create(parseCgroupsPath(path), limits);
  }

  #create(parts: string[], limits: ResourceLimits): ContainerCgroup {
    this.validate(limits);
    const fs = this.#fs;
    const dirs: Dirs = {};
    for (const [c, h] of this.#hier) dirs[c] = join(h, ...parts);
    const paths = unique(dirs);
    const roots = [...new Set(this.#hier.values())];
    const madeParents: string[] = [];
    try {
      for (const r of roots) makeParents(fs, parentDirs(r, parts), madeParents);
      const mem = this.#hier.get("memory");
      const cpuset = this.#hier.get("cpuset");
      const writes = planV1(limits, {
        dirs,
        swapAccounting: mem !== undefined && fs.exists(join(mem, "memory.memsw.limit_in_bytes")),
        parentCpuset: cpuset ? this.#populateCpusetParents(cpuset, parts) : undefined,
        blkioWeightFile: blkioWeightFile(fs, this.#hier.get("blkio")),
      });
      makeDirs(fs, paths);
      try {
        applyWrites(fs, writes);
      } catch (err) {
        undoDirs(fs, paths);
        throw err;
      }
    } catch (err) {
      undoDirs(fs, madeParents);
      throw err;
    }
    return new V1Cgroup(fs, "/" + parts.join("/"), dirs);
  }

  /**
   * A v1 cpuset with empty cpus/mems refuses tasks and children, so each
   * parent between the root and the container that is empty (made just
   * now, or by someone else) gets its own parent's values, as runc does.
   * @returns the values the container's directory inherits.
   */
  #populateCpusetParents(root: string, parts: string[]): { cpus: string; mems: string } {
    const fs = this.#fs;
    let cur = {
      cpus: readFile(fs, join(root, "cpuset.cpus")),
      mems: readFile(fs, join(root, "cpuset.mems")),
    };
    for (const d of parentDirs(root, parts)) {
      const own = {
        cpus: readFile(fs, join(d, "cpuset.cpus")),
        mems: readFile(fs, join(d, "cpuset.mems")),
      };
      const writes = [
        ...(own.cpus === "" ? [{ path: join(d, "cpuset.cpus"), value: cur.cpus }] : []),
        ...(own.mems === "" ? [{ path: join(d, "cpuset.mems"), value: cur.mems }] : []),
      ];
      applyWrites(fs, writes);
      cur = { cpus: own.cpus || cur.cpus, mems: own.mems || cur.mems };
    }
    return cur;
  }

  /** The existing cgroup `name` (in whichever hierarchies hold it). */
  open(name: string): ContainerCgroup | undefined {
    checkName(name);
    return this.#open([name]);
  }

  /** The existing cgroup at cgroupsPath `path`. */
  openAt(path: string): ContainerCgroup | undefined {
    return this.#open(parseCgroupsPath(path));
  }

  #open(parts: string[]): ContainerCgroup | undefined {
    const dirs: Dirs = {};
    for (const [c, h] of this.#hier) {
      const d = join(h, ...parts);
      if (this.#fs.exists(d)) dirs[c] = d;
    }
    return Object.keys(dirs).length
      ? new V1Cgroup(this.#fs, "/" + parts.join("/"), dirs)
      : undefined;
  }
}

/** Distinct directories, in controller order (cpu and cpuacct may coincide). */
function unique(dirs: Dirs): string[] {
  return [...new Set(Object.values(dirs))];
}

/** One container's cgroup across the v1 hierarchies. */
class V1Cgroup implements ContainerCgroup {
  readonly paths: string[];
  readonly name: string;
  constructor(readonly fs: CgroupFs, readonly path: string, readonly dirs: Dirs) {
    this.paths = unique(dirs);
    this.name = path.slice(path.lastIndexOf("/") + 1);
  }

  addProcess(pid: number): void {
    const { early, late } = this.joinWrites(pid, () => true);
    applyWrites(this.fs, [...early, ...late]);
  }

  joinWrites(pid: number, early: (controller: string) => boolean) {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new CgroupError(`invalid pid ${pid}`);
    // cpuset first: it is the join most likely to be refused (empty cpus/mems)
    const cs = this.dirs.cpuset;
    const order = cs ? [cs, ...this.paths.filter((d) => d !== cs)] : this.paths;
    const entries = Object.entries(this.dirs) as [V1Controller, string][];
    const write = (d: string) => ({ path: join(d, "cgroup.procs"), value: String(pid) });
    // a directory shared by co-mounted controllers (cpu,cpuacct) is early only if all are
    const isEarly = (d: string) => entries.every(([c, dir]) => dir !== d || early(c));
    return {
      early: order.filter(isEarly).map(write),
      late: order.filter((d) => !isEarly(d)).map(write),
    };
  }

  stats(): CgroupStats {
    const mem = this.dirs.memory
      ? readMemory(this.fs, this.dirs.memory)
      : { usage: 0, limit: undefined };
    const pids = readPids(this.fs, this.dirs.pids, this.paths[0]);
    return {
      memoryUsage: mem.usage,
      memoryLimit: mem.limit,
      cpuUsageNs: readCpuUsageNs(this.fs, this.dirs.cpuacct),
      pids: pids.current,
      pidsLimit: pids.limit,
      oomKills: this.dirs.memory ? readOomKills(this.fs, this.dirs.memory) : 0,
      ...blkio(readIoV1(this.fs, this.dirs.blkio)),
    };
  }

  oomKilled(): boolean {
    return this.dirs.memory !== undefined && readOomKills(this.fs, this.dirs.memory) > 0;
  }

  /** Write the limits given (devices excepted) into the live cgroup. */
  update(limits: ResourceLimits): void {
    const { devices: _devices, ...rest } = limits;
    const fs = this.fs;
    validateV1(fs, rest, (c) => this.dirs[c] !== undefined, this.dirs.hugetlb);
    const mem = this.dirs.memory;
    const memsw = mem ? join(mem, "memory.memsw.limit_in_bytes") : undefined;
    const swapAccounting = memsw !== undefined && fs.exists(memsw);
    applyWrites(
      fs,
      planV1(rest, {
        dirs: this.dirs,
        swapAccounting,
        currentMemsw: swapAccounting ? Number(readFile(fs, memsw!)) : undefined,
        blkioWeightFile: blkioWeightFile(fs, this.dirs.blkio),
      }),
    );
  }

  async freeze(): Promise<void> {
    await freezeV1(this.fs, needFreezer(this.dirs.freezer, `freeze ${this.path}`));
  }

  thaw(): void {
    thawV1(this.fs, needFreezer(this.dirs.freezer, `thaw ${this.path}`));
  }

  frozen(): boolean {
    return frozenV1(this.fs, this.dirs.freezer);
  }

  pids(): number[] {
    return treePids(this.fs, this.paths);
  }

  killAll(kill: ProcessKiller): Promise<void> {
    const hasFreezer = this.dirs.freezer !== undefined && this.fs.exists(this.dirs.freezer);
    return killCgroup(this.fs, {
      dir: this.paths[0],
      pids: () => this.pids(),
      freeze: hasFreezer ? () => this.freeze() : undefined,
      thaw: hasFreezer ? () => this.thaw() : undefined,
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
