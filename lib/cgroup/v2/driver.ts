/**
 * cgroup v2 driver (unified hierarchy): one cgroup per container, directly
 * under the mount root or under a parent path (nested placement, like
 * docker's `--cgroup-parent`), with the controllers it uses enabled in the
 * cgroup.subtree_control of the root and of every parent level (left
 * enabled afterwards, as docker and systemd do: other cgroups may rely on
 * them; parents are left too, shared by later containers).
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
  /** The cgroups from the root down to the containers' parent: `[root, root/a, root/a/b]`. */
  readonly #chain: string[];

  /**
   * @param parent where containers go, relative to `root` (`a/b`); "" = the root.
   * @throws {CgroupError} `root` is not a cgroup2 mount root, or `parent` is not a
   * relative path of safe names.
   */
  constructor(root: string, fs: CgroupFs, parent = "") {
    this.#fs = fs;
    this.#root = root;
    if (!fs.exists(join(root, "cgroup.controllers"))) {
      throw new CgroupError(`${root} is not a cgroup v2 mount (no cgroup.controllers)`, {
        path: root,
      });
    }
    this.#chain = [root];
    for (const part of parent.split("/").filter(Boolean)) {
      checkName(part);
      this.#chain.push(join(this.#chain.at(-1)!, part));
    }
  }

  /** Words of a control file of cgroup `dir` (cgroup.controllers, cgroup.subtree_control). */
  #words(file: string, dir = this.#root): string[] {
    const p = join(dir, file);
    return (readOptional(this.#fs, p) ?? "").split(/\s+/).filter(Boolean);
  }

  /** The containers' parent cgroup. */
  get #parent(): string {
    return this.#chain.at(-1)!;
  }

  /**
   * Enable in `dir`'s subtree_control the controllers its children need.
   *
   * A cgroup other than the real root that has processes of its own (the mount root
   * seen from inside a container's cgroup namespace, a systemd scope) cannot give
   * domain controllers (memory) to children, and enabling the threaded ones (cpu,
   * cpuset, pids) there first turns it into a thread root, after which memory fails
   * with a puzzling EOPNOTSUPP. So such a cgroup is left alone: an error when the
   * limits need a controller, one warning otherwise.
   * @throws {CgroupError} a needed controller cannot be enabled.
   */
  #enable(dir: string, limits: ResourceLimits): void {
    const steps = planSubtree(
      dir,
      this.#words("cgroup.controllers", dir),
      this.#words("cgroup.subtree_control", dir),
      limits,
    );
    if (steps.length === 0) return;
    // only non-root cgroups have cgroup.type; the root may hold processes and controllers
    const internal = this.#fs.exists(join(dir, "cgroup.type")) &&
      (readOptional(this.#fs, join(dir, "cgroup.procs")) ?? "") !== "";
    if (internal) {
      const names = steps.map((s) => s.controller).join(", ");
      const e = new CgroupError(
        `cannot enable ${names} in ${dir}: it has processes of its own (cgroup v2 lets only cgroups without processes, or the root, pass controllers to children)`,
        { path: dir, hint: "run tsbox where its cgroup root has no processes, or drop the limits" },
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
        // only wanted for stats: run without it rather than fail the container
        console.error(`tsbox: warning: ${err instanceof Error ? err.message : err}`);
      }
    }
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
    const dir = join(this.#parent, name);
    const made: string[] = []; // parents this call created (undone on failure)
    try {
      for (const [i, level] of this.#chain.entries()) {
        this.#enable(level, limits);
        const next = this.#chain[i + 1];
        if (next !== undefined && !fs.exists(next)) {
          makeDirs(fs, [next]);
          made.push(next);
        }
      }
      makeDirs(fs, [dir]);
      made.push(dir);
      // memory.swap.max only appears in a child when the kernel accounts swap
      applyWrites(fs, planV2(limits, dir, { swap: fs.exists(join(dir, "memory.swap.max")) }));
    } catch (err) {
      undoDirs(fs, made);
      throw err;
    }
    return new V2Cgroup(fs, name, dir);
  }

  /** The existing cgroup `name`, or undefined. */
  open(name: string): ContainerCgroup | undefined {
    checkName(name);
    const dir = join(this.#parent, name);
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

  destroy(): Promise<void> {
    return removeDirs(this.fs, this.paths);
  }
}
