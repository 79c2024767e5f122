/**
 * cgroup v2 driver (unified hierarchy): one flat cgroup per container
 * directly under the mount root, with the controllers it uses enabled in
 * the root's cgroup.subtree_control (left enabled afterwards, as docker
 * and systemd do: other cgroups may rely on them).
 * @module
 */

import { join } from "node:path";
import { CgroupError } from "../../errors.ts";
import type { CgroupDriver, CgroupStats, ContainerCgroup, ResourceLimits } from "../types.ts";
import type { CgroupFs } from "../fs.ts";
import { applyWrites, checkName, makeDirs, readOptional, removeDirs, undoDirs } from "../apply.ts";
import { planSubtree, planV2 } from "./plan.ts";
import { readMemoryV2, readOomKillsV2 } from "./memory.ts";
import { readCpuUsageNsV2 } from "./cpu.ts";
import { readPids } from "../pids.ts";
import { missingController } from "../needs.ts";

/** The v2 backend. Construct through `openCgroups()`. */
export class V2Driver implements CgroupDriver {
  readonly version = 2 as const;
  readonly #fs: CgroupFs;
  readonly #root: string;

  /** @throws {CgroupError} `root` is not a cgroup2 mount root. */
  constructor(root: string, fs: CgroupFs) {
    this.#fs = fs;
    this.#root = root;
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

  /** @throws {CgroupError} a controller `limits` needs is not offered by the root. */
  validate(limits: ResourceLimits): void {
    const available = this.#words("cgroup.controllers");
    const miss = missingController(limits, (c) => available.includes(c));
    if (miss) {
      throw new CgroupError(
        `cgroup v2 controller '${miss.controller}' is not available in ${this.#root}/cgroup.controllers (needed for ${miss.flags})`,
      );
    }
  }

  /** Enable controllers, make the directory, write `limits`; the directory is undone on failure. Needs root. */
  create(name: string, limits: ResourceLimits): ContainerCgroup {
    checkName(name);
    this.validate(limits);
    const fs = this.#fs;
    const available = this.#words("cgroup.controllers");
    const enabled = this.#words("cgroup.subtree_control");
    for (const step of planSubtree(this.#root, available, enabled, limits)) {
      try {
        applyWrites(fs, [step.write]);
      } catch (err) {
        if (step.required) throw err;
        // only wanted for stats: run without it rather than fail the container
        console.error(`tsbox: warning: ${err instanceof Error ? err.message : err}`);
      }
    }
    const dir = join(this.#root, name);
    makeDirs(fs, [dir]);
    try {
      // memory.swap.max only appears in a child when the kernel accounts swap
      applyWrites(fs, planV2(limits, dir, { swap: fs.exists(join(dir, "memory.swap.max")) }));
    } catch (err) {
      undoDirs(fs, [dir]);
      throw err;
    }
    return new V2Cgroup(fs, name, dir);
  }

  /** The existing cgroup `name`, or undefined. */
  open(name: string): ContainerCgroup | undefined {
    checkName(name);
    const dir = join(this.#root, name);
    return this.#fs.exists(dir) ? new V2Cgroup(this.#fs, name, dir) : undefined;
  }
}

/** One container's cgroup on the unified hierarchy. */
class V2Cgroup implements ContainerCgroup {
  readonly paths: string[];
  constructor(readonly fs: CgroupFs, readonly name: string, readonly dir: string) {
    this.paths = [dir];
  }

  addProcess(pid: number): void {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new CgroupError(`invalid pid ${pid}`);
    applyWrites(this.fs, [{ path: join(this.dir, "cgroup.procs"), value: String(pid) }]);
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
    };
  }

  oomKilled(): boolean {
    return readOomKillsV2(this.fs, this.dir) > 0;
  }

  update(limits: ResourceLimits): void {
    const swap = this.fs.exists(join(this.dir, "memory.swap.max"));
    applyWrites(this.fs, planV2(limits, this.dir, { swap }));
  }

  setFrozen(frozen: boolean): void {
    applyWrites(this.fs, [{ path: join(this.dir, "cgroup.freeze"), value: frozen ? "1" : "0" }]);
  }

  freezerState(): "frozen" | "freezing" | "thawed" {
    const p = join(this.dir, "cgroup.freeze");
    if (!this.fs.exists(p) || this.fs.read(p).trim() !== "1") return "thawed";
    // cgroup.events says when every task is actually frozen
    const ev = join(this.dir, "cgroup.events");
    const done = this.fs.exists(ev) && /^frozen 1$/m.test(this.fs.read(ev));
    return done ? "frozen" : "freezing";
  }

  destroy(): Promise<void> {
    return removeDirs(this.fs, this.paths);
  }
}
