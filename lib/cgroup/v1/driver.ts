/**
 * cgroup v1 driver (legacy and hybrid layouts): one flat cgroup per
 * container directly under each hierarchy root (memory, cpu, cpuacct,
 * cpuset, pids). Co-mounted controllers (`cpu,cpuacct`) are found through
 * their symlinks and share one directory.
 * @module
 */

import { dirname, join } from "node:path";
import { CgroupError } from "../../errors.ts";
import type { CgroupDriver, CgroupStats, ContainerCgroup, ResourceLimits } from "../types.ts";
import type { CgroupFs } from "../fs.ts";
import { applyWrites, cgroupError, checkName, makeDirs, removeDirs, undoDirs } from "../apply.ts";
import { V1_CONTROLLERS } from "../host.ts";
import { planV1, type V1Controller } from "./plan.ts";
import { readMemory, readOomKills } from "./memory.ts";
import { readCpuUsageNs } from "./cpu.ts";
import { readPids } from "../pids.ts";
import { missingController } from "../needs.ts";

type Dirs = Partial<Record<V1Controller, string>>;

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

  /** @throws {CgroupError} a hierarchy `limits` needs is not mounted. */
  validate(limits: ResourceLimits): void {
    const miss = missingController(limits, (c) => this.#hier.has(c));
    if (miss) {
      throw new CgroupError(
        `cgroup v1 '${miss.controller}' hierarchy is not mounted (needed for ${miss.flags})`,
      );
    }
  }

  /** Make `name` in every hierarchy and write `limits`; undone on failure. Needs root. */
  create(name: string, limits: ResourceLimits): ContainerCgroup {
    checkName(name);
    this.validate(limits);
    const fs = this.#fs;
    const dirs: Dirs = {};
    for (const [c, h] of this.#hier) dirs[c] = join(h, name);
    const mem = this.#hier.get("memory");
    const cpuset = this.#hier.get("cpuset");
    const read = (p: string) => {
      try {
        return fs.read(p).trim();
      } catch (err) {
        throw cgroupError("read", p, err);
      }
    };
    const writes = planV1(limits, {
      dirs,
      swapAccounting: mem !== undefined && fs.exists(join(mem, "memory.memsw.limit_in_bytes")),
      parentCpuset: cpuset
        ? { cpus: read(join(cpuset, "cpuset.cpus")), mems: read(join(cpuset, "cpuset.mems")) }
        : { cpus: "", mems: "" },
    });
    const paths = unique(dirs);
    makeDirs(fs, paths);
    try {
      applyWrites(fs, writes);
    } catch (err) {
      undoDirs(fs, paths);
      throw err;
    }
    return new V1Cgroup(fs, name, dirs);
  }

  /** The existing cgroup `name` (in whichever hierarchies hold it). */
  open(name: string): ContainerCgroup | undefined {
    checkName(name);
    const dirs: Dirs = {};
    for (const [c, h] of this.#hier) {
      const d = join(h, name);
      if (this.#fs.exists(d)) dirs[c] = d;
    }
    return Object.keys(dirs).length ? new V1Cgroup(this.#fs, name, dirs) : undefined;
  }
}

/** Distinct directories, in controller order (cpu and cpuacct may coincide). */
function unique(dirs: Dirs): string[] {
  return [...new Set(Object.values(dirs))];
}

/** One container's cgroup across the v1 hierarchies. */
class V1Cgroup implements ContainerCgroup {
  readonly paths: string[];
  constructor(readonly fs: CgroupFs, readonly name: string, readonly dirs: Dirs) {
    this.paths = unique(dirs);
  }

  addProcess(pid: number): void {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new CgroupError(`invalid pid ${pid}`);
    // cpuset first: it is the join most likely to be refused (empty cpus/mems)
    const cs = this.dirs.cpuset;
    const order = cs ? [cs, ...this.paths.filter((d) => d !== cs)] : this.paths;
    applyWrites(this.fs, order.map((d) => ({ path: join(d, "cgroup.procs"), value: String(pid) })));
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
    };
  }

  oomKilled(): boolean {
    return this.dirs.memory !== undefined && readOomKills(this.fs, this.dirs.memory) > 0;
  }

  update(limits: ResourceLimits): void {
    const fs = this.fs;
    const mem = this.dirs.memory;
    const cs = this.dirs.cpuset;
    const parent = (f: string) => fs.read(join(dirname(cs!), f)).trim();
    const writes = planV1(limits, {
      dirs: this.dirs,
      swapAccounting: mem !== undefined && fs.exists(join(mem, "memory.memsw.limit_in_bytes")),
      parentCpuset: cs
        ? { cpus: parent("cpuset.cpus"), mems: parent("cpuset.mems") }
        : { cpus: "", mems: "" },
    });
    try {
      applyWrites(fs, writes);
    } catch (err) {
      // a memory limit above the current memory+swap one is refused: memsw first then
      const memsw = writes.filter((w) => w.path.endsWith("memory.memsw.limit_in_bytes"));
      if (!memsw.length || !(err instanceof CgroupError)) throw err;
      applyWrites(fs, [...memsw, ...writes.filter((w) => !memsw.includes(w))]);
    }
  }

  setFrozen(frozen: boolean): void {
    const d = this.dirs.freezer;
    if (!d) throw new CgroupError(`cgroup v1 freezer hierarchy is not mounted (needed for pause)`);
    applyWrites(this.fs, [{ path: join(d, "freezer.state"), value: frozen ? "FROZEN" : "THAWED" }]);
  }

  freezerState(): "frozen" | "freezing" | "thawed" {
    const d = this.dirs.freezer;
    if (!d) return "thawed";
    const s = this.fs.read(join(d, "freezer.state")).trim();
    return s === "FROZEN" ? "frozen" : s === "FREEZING" ? "freezing" : "thawed";
  }

  destroy(): Promise<void> {
    return removeDirs(this.fs, this.paths);
  }
}
