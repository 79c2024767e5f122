/**
 * A fake cgroup v2 filesystem in a temp dir that behaves like the kernel
 * where the driver can tell: control files appear on mkdir (per the
 * parent's cgroup.subtree_control), subtree_control takes `+ctrl` words
 * and lists the enabled set, writes never create files, rmdir refuses a
 * cgroup with processes or children, one chosen write can be made to
 * fail, cgroup.freeze is reflected in cgroup.events (after `freezeLag`
 * reads, as a kernel takes a moment), and cgroup.kill empties the subtree.
 * @module
 */

import { basename, dirname, join } from "node:path";
import type { CgroupFs, CgroupWrite } from "../../lib/cgroup/mod.ts";

/** Options of `FakeCgroupFs.create`. */
export interface FakeOptions {
  /** Controllers the root offers (default cpuset cpu io memory hugetlb pids). */
  controllers?: string[];
  /** Controllers already enabled in the root's subtree_control (default none). */
  enabled?: string[];
  /** Kernel accounts swap: memory.swap.max appears (default true). */
  swap?: boolean;
  /** Reads of cgroup.events that still say `frozen 0` after a freeze (default 0). */
  freezeLag?: number;
  /** The kernel has cgroup.kill (Linux ≥ 5.14; default true). */
  cgroupKill?: boolean;
  /** The io controller has io.bfq.weight (BFQ scheduler; default false). */
  bfq?: boolean;
}

const ORDER = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"];

/** Files a new cgroup gets per enabled controller, with the kernel's defaults. */
const CONTROLLER_FILES: Record<string, Record<string, string>> = {
  cpuset: {
    "cpuset.cpus": "",
    "cpuset.mems": "",
    "cpuset.cpus.effective": "0-1",
    "cpuset.mems.effective": "0",
  },
  cpu: { "cpu.max": "max 100000", "cpu.weight": "100" },
  memory: {
    "memory.max": "max",
    "memory.low": "0",
    "memory.high": "max",
    "memory.current": "0",
    "memory.stat": "anon 0\nfile 0\ninactive_file 0\n",
    "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n",
  },
  pids: { "pids.max": "max", "pids.current": "0" },
  io: { "io.weight": "default 100", "io.max": "" },
  hugetlb: { "hugetlb.2MB.max": "max", "hugetlb.1GB.max": "max", "hugetlb.2MB.current": "0" },
};

/** The fake; `root` is the temp dir standing for /sys/fs/cgroup. */
export class FakeCgroupFs implements CgroupFs {
  /** Every successful write, in order. */
  readonly writes: CgroupWrite[] = [];
  /** Basename of a file whose next write fails with EINVAL. */
  failWrite?: string;
  /** Reads of cgroup.events left per directory before a freeze shows. */
  readonly #lag = new Map<string, number>();

  private constructor(readonly root: string, readonly opts: FakeOptions) {}

  get swap(): boolean {
    return this.opts.swap ?? true;
  }

  /** Reads of each cgroup.events file so far (to see that the driver waited). */
  readonly eventReads = new Map<string, number>();

  /** Build a root cgroup tree in a new temp dir. */
  static create(opts: FakeOptions = {}): FakeCgroupFs {
    const root = Deno.makeTempDirSync({ prefix: "tsbox-fakecg-" });
    const ctrls = opts.controllers ?? ["cpuset", "cpu", "io", "memory", "hugetlb", "pids"];
    const files: Record<string, string> = {
      "cgroup.controllers": ctrls.join(" ") + "\n",
      "cgroup.subtree_control": (opts.enabled ?? []).join(" ") + (opts.enabled?.length ? "\n" : ""),
      "cgroup.procs": "1\n",
      "cgroup.max.depth": "max\n",
      "cpu.stat": "usage_usec 0\nuser_usec 0\nsystem_usec 0\n",
    };
    for (const [f, v] of Object.entries(files)) Deno.writeTextFileSync(join(root, f), v);
    return new FakeCgroupFs(root, opts);
  }

  /** Remove the whole fake tree. */
  dispose(): void {
    Deno.removeSync(this.root, { recursive: true });
  }

  exists(path: string): boolean {
    try {
      Deno.statSync(path);
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  }

  read(path: string): string {
    const dir = dirname(path);
    if (basename(path) === "cgroup.controllers" && dir !== this.root && this.exists(path)) {
      // like the kernel: a child offers what its parent enables now, not at its mkdir
      return this.read(join(dirname(dir), "cgroup.subtree_control"));
    }
    const text = Deno.readTextFileSync(path);
    if (basename(path) !== "cgroup.events") return text;
    this.eventReads.set(dir, (this.eventReads.get(dir) ?? 0) + 1);
    const left = this.#lag.get(dir) ?? 0;
    if (left <= 0) return text;
    this.#lag.set(dir, left - 1);
    return text.replace(/^frozen 1$/m, "frozen 0");
  }

  /** Simulate a process `pid` in `dir` (what the kernel lists in cgroup.procs). */
  addPid(dir: string, pid: number): void {
    Deno.writeTextFileSync(join(dir, "cgroup.procs"), `${pid}\n`, { append: true });
  }

  /** Remove `pid` from every cgroup.procs below the root (the process exited). */
  removePid(pid: number, dir = this.root): void {
    const procs = join(dir, "cgroup.procs");
    const left = this.read(procs).split("\n").filter((l) => l && Number(l) !== pid);
    Deno.writeTextFileSync(procs, left.map((l) => l + "\n").join(""));
    for (const e of Deno.readDirSync(dir)) {
      if (e.isDirectory) this.removePid(pid, join(dir, e.name));
    }
  }

  realPath(path: string): string {
    return Deno.realPathSync(path);
  }

  subdirs(path: string): string[] {
    return [...Deno.readDirSync(path)].filter((e) => e.isDirectory).map((e) => e.name);
  }

  write(path: string, value: string): void {
    if (!this.exists(path)) {
      throw new Deno.errors.NotFound(`No such file or directory (os error 2): open '${path}'`);
    }
    const name = basename(path);
    if (this.failWrite === name) {
      this.failWrite = undefined;
      throw new Error(`Invalid argument (os error 22): write '${path}'`);
    }
    if (name === "cgroup.subtree_control") {
      const offered = this.read(join(dirname(path), "cgroup.controllers")).split(/\s+/);
      const set = new Set(this.read(path).split(/\s+/).filter(Boolean));
      const cg = dirname(path);
      if (cg !== this.root && this.read(join(cg, "cgroup.procs")).trim()) {
        // "no internal processes": only the root may have both tasks and controllers
        throw new Deno.errors.Busy(`Device or resource busy (os error 16): write '${path}'`);
      }
      for (const word of value.split(/\s+/).filter(Boolean)) {
        const c = word.slice(1);
        if (!offered.includes(c)) {
          throw new Deno.errors.NotFound(`No such file or directory (os error 2): write '${path}'`);
        }
        if (word[0] === "+") set.add(c);
        else set.delete(c);
      }
      const list = ORDER.filter((c) => set.has(c));
      Deno.writeTextFileSync(path, list.length ? list.join(" ") + "\n" : "");
    } else if (name === "cgroup.procs") {
      Deno.writeTextFileSync(path, value + "\n", { append: true });
    } else if (name === "cgroup.freeze") {
      Deno.writeTextFileSync(path, value);
      const events = join(dirname(path), "cgroup.events");
      const text = Deno.readTextFileSync(events).replace(
        /^frozen \d$/m,
        `frozen ${value === "1" ? 1 : 0}`,
      );
      Deno.writeTextFileSync(events, text);
      this.#lag.set(dirname(path), value === "1" ? this.opts.freezeLag ?? 0 : 0);
    } else if (name === "cgroup.kill") {
      for (const pid of this.#pidsBelow(dirname(path))) this.removePid(pid, dirname(path));
    } else {
      Deno.writeTextFileSync(path, value);
    }
    this.writes.push({ path, value });
  }

  mkdir(path: string): void {
    Deno.mkdirSync(path); // AlreadyExists like the kernel
    const enabled = this.read(join(dirname(path), "cgroup.subtree_control")).split(/\s+/).filter(
      Boolean,
    );
    const files: Record<string, string> = {
      "cgroup.procs": "",
      "cgroup.controllers": enabled.join(" ") + (enabled.length ? "\n" : ""),
      "cgroup.subtree_control": "",
      "cgroup.events": "populated 0\nfrozen 0\n",
      "cgroup.freeze": "0",
      "cgroup.type": "domain\n", // not on the root
      "cpu.stat": "usage_usec 0\nuser_usec 0\nsystem_usec 0\n",
    };
    if (this.opts.cgroupKill ?? true) files["cgroup.kill"] = "";
    for (const c of enabled) Object.assign(files, CONTROLLER_FILES[c] ?? {});
    if (enabled.includes("io") && this.opts.bfq) files["io.bfq.weight"] = "default 100";
    if (enabled.includes("memory") && this.swap) files["memory.swap.max"] = "max";
    for (const [f, v] of Object.entries(files)) Deno.writeTextFileSync(join(path, f), v);
  }

  #pidsBelow(dir: string): number[] {
    const own = this.read(join(dir, "cgroup.procs")).split("\n").filter(Boolean).map(Number);
    const sub = [...Deno.readDirSync(dir)].filter((e) => e.isDirectory).flatMap((e) =>
      this.#pidsBelow(join(dir, e.name))
    );
    return [...own, ...sub];
  }

  rmdir(path: string): void {
    if (!this.exists(path)) {
      throw new Deno.errors.NotFound(`No such file or directory (os error 2): rmdir '${path}'`);
    }
    const procs = this.read(join(path, "cgroup.procs")).trim();
    const children = [...Deno.readDirSync(path)].some((e) => e.isDirectory);
    if (procs || children) {
      throw new Deno.errors.Busy(`Device or resource busy (os error 16): rmdir '${path}'`);
    }
    Deno.removeSync(path, { recursive: true }); // the fake's files; rmdir on cgroupfs drops them
  }
}
