/**
 * The OCI-runtime side of the cgroup layer on the real kernel (v1 here):
 * nested placement by cgroupsPath, OCI limits, live update, the freezer
 * (a counting busybox shell stops and goes on), pids of nested
 * sub-cgroups, and destroy of a frozen cgroup with processes. Needs root.
 * Every test removes its cgroups, parents included, in finally.
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import {
  type CgroupDriver,
  type ContainerCgroup,
  ociResources,
  openCgroups,
  type ResourceLimits,
} from "../../lib/cgroup/mod.ts";
import { kill } from "../../ffi/process.ts";
import { CGROUP_ROOT, type Gated, gated, IS_ROOT, leftovers } from "./_real.ts";

const M = 1 << 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hex = (n: number) =>
  [...crypto.getRandomValues(new Uint8Array(n))].map((x) => x.toString(16).padStart(2, "0"))
    .join("");
const v1 = () => IS_ROOT && openCgroups().version === 1;
const ignore = !v1();

/** Hierarchy roots (symlinks such as cpu → cpu,cpuacct resolved), as the driver sees them. */
function hierarchyRoots(): string[] {
  const out = new Set<string>();
  for (const e of Deno.readDirSync(CGROUP_ROOT)) {
    const p = join(CGROUP_ROOT, e.name);
    try {
      Deno.statSync(join(p, "cgroup.procs"));
      out.add(Deno.realPathSync(p));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // not a hierarchy (no cgroup.procs)
    }
  }
  return [...out];
}

/** Poll `ok` until true, at most ~10 s (synchronises on what the test observes). */
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (ok()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Ctx {
  cg: ContainerCgroup;
  driver: CgroupDriver;
  parent: string;
  /** Spawn a gated busybox shell, move it into the cgroup, release it. */
  run(script: string): Promise<Gated>;
}

/**
 * Create `/<tsbox-ocitest-…>/<id>` with `limits`, run `fn`, and always
 * clean up: SIGKILL what is left (frozen or not), destroy, remove the
 * parents this test made, and check nothing is left in any hierarchy.
 */
async function withNested(limits: ResourceLimits, fn: (c: Ctx) => Promise<void>): Promise<void> {
  const driver = openCgroups();
  const parent = `tsbox-ocitest-${hex(6)}`;
  const cg = driver.createAt(`/${parent}/${hex(32)}`, limits);
  const shells: Gated[] = [];
  try {
    await fn({
      cg,
      driver,
      parent,
      async run(script) {
        const g = gated(script);
        shells.push(g);
        cg.addProcess(g.child.pid);
        await g.release();
        return g;
      },
    });
  } finally {
    await cg.destroy({ kill });
    for (const g of shells) await g.kill();
    for (const g of shells) await g.output;
    for (const root of hierarchyRoots()) rmdirIfPresent(join(root, parent));
    assert.deepEqual(leftovers(parent), []);
  }
}

function rmdirIfPresent(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err; // not in this hierarchy
  }
}

const fileIn = (cg: ContainerCgroup, hierarchy: string, file: string) =>
  join(cg.paths.find((p) => p.startsWith(`${CGROUP_ROOT}/${hierarchy}/`))!, file);
const readIn = (cg: ContainerCgroup, hierarchy: string, file: string) =>
  Deno.readTextFileSync(fileIn(cg, hierarchy, file)).trim();
const exists = (p: string) => {
  try {
    Deno.statSync(p);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
};
const swapAccounting = () => exists(`${CGROUP_ROOT}/memory/memory.memsw.limit_in_bytes`);

Deno.test({
  name: "V1Driver.createAt: nested cgroupsPath in every hierarchy, OCI limits written",
  ignore,
  fn: () =>
    withNested(
      ociResources({
        memory: { limit: 64 * M, swap: 128 * M, swappiness: 10, disableOOMKiller: false },
        cpu: { shares: 512, quota: 50000, period: 100000 },
        pids: { limit: 50 },
        blockIO: { weight: 500 }, // no blkio.weight file on this kernel: skipped
        hugepageLimits: [{ pageSize: "2MB", limit: 2 * M }], // no hugetlb hierarchy here: skipped
      }),
      ({ cg, parent }) => {
        for (const h of ["memory", "cpu", "cpuacct", "cpuset", "pids", "devices", "freezer"]) {
          const want = join(Deno.realPathSync(`${CGROUP_ROOT}/${h}`), parent, cg.name);
          assert.ok(cg.paths.includes(want), `${want} in ${cg.paths}`);
        }
        assert.equal(cg.path, `/${parent}/${cg.name}`);
        assert.equal(readIn(cg, "memory", "memory.limit_in_bytes"), String(64 * M));
        if (swapAccounting()) {
          assert.equal(readIn(cg, "memory", "memory.memsw.limit_in_bytes"), String(128 * M));
        }
        assert.equal(readIn(cg, "memory", "memory.swappiness"), "10");
        assert.match(readIn(cg, "memory", "memory.oom_control"), /^oom_kill_disable 0$/m);
        assert.equal(readIn(cg, "cpu", "cpu.shares"), "512");
        assert.equal(readIn(cg, "cpu", "cpu.cfs_quota_us"), "50000");
        assert.equal(readIn(cg, "pids", "pids.max"), "50");
        // the made parent got the root's cpuset, or the container could not be populated
        assert.equal(
          Deno.readTextFileSync(`${CGROUP_ROOT}/cpuset/${parent}/cpuset.cpus`).trim(),
          Deno.readTextFileSync(`${CGROUP_ROOT}/cpuset/cpuset.cpus`).trim(),
        );
        return Promise.resolve();
      },
    ),
});

Deno.test({
  name: "ContainerCgroup.destroy: removes the container's dirs, keeps the parents",
  ignore,
  fn: () =>
    withNested({}, async ({ cg, driver, parent }) => {
      const second = driver.createAt(`/${parent}/second`, {});
      try {
        await cg.destroy();
        for (const p of cg.paths) assert.equal(exists(p), false, p);
        assert.equal(cg.paths.length >= 6, true);
        for (const p of cg.paths) assert.ok(exists(dirname(p)), dirname(p));
        assert.equal(driver.openAt(`/${parent}/${cg.name}`), undefined);
        assert.ok(driver.openAt(`${parent}/second`));
      } finally {
        await second.destroy();
      }
    }),
});

Deno.test({
  name: "V1Driver.createAt: unified is refused on v1 before anything is made",
  ignore,
  fn: () => {
    const d = openCgroups();
    const parent = `tsbox-ocitest-${hex(6)}`;
    assert.throws(
      () => d.createAt(`/${parent}/x`, { unified: { "memory.high": "1" } }),
      /unified needs cgroup v2/,
    );
    assert.throws(() => d.createAt(`system.slice:docker:x`, {}), /systemd/);
    assert.deepEqual(leftovers(parent), []);
  },
});

Deno.test({
  name: "ContainerCgroup.update: live limits change, raising and lowering memory+swap",
  ignore,
  fn: () =>
    withNested(
      ociResources({ memory: { limit: 64 * M, swap: 128 * M }, pids: { limit: 20 } }),
      async ({ cg, run }) => {
        await run("exec /bin/busybox sleep 1000");
        const swap = swapAccounting();
        // dockerd's `update --memory 256m --memory-swap 512m`: memsw must go first
        cg.update(ociResources({ memory: { limit: 256 * M, swap: 512 * M, reservation: 0 } }));
        assert.equal(readIn(cg, "memory", "memory.limit_in_bytes"), String(256 * M));
        if (swap) {
          assert.equal(readIn(cg, "memory", "memory.memsw.limit_in_bytes"), String(512 * M));
        }
        cg.update(ociResources({ memory: { limit: 32 * M, swap: 64 * M } }));
        assert.equal(readIn(cg, "memory", "memory.limit_in_bytes"), String(32 * M));
        if (swap) assert.equal(readIn(cg, "memory", "memory.memsw.limit_in_bytes"), String(64 * M));
        cg.update(ociResources({ pids: { limit: -1 }, cpu: { shares: 0, quota: 0 } }));
        assert.equal(readIn(cg, "pids", "pids.max"), "max");
        assert.equal(readIn(cg, "memory", "memory.limit_in_bytes"), String(32 * M));
      },
    ),
});

/** A shell that writes an increasing count to `file` about 50 times a second. */
const counter = (file: string) =>
  `i=0; while :; do i=$((i+1)); echo $i > ${file}; /bin/busybox usleep 20000; done`;
const count = (file: string) => {
  try {
    return Number(Deno.readTextFileSync(file).trim() || 0);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0; // not written yet
    throw err;
  }
};

Deno.test({
  name: "ContainerCgroup.freeze: a counting shell stops while frozen and goes on when thawed",
  ignore,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "tsbox-freeze-" });
    const inside = join(dir, "inside");
    const clock = join(dir, "clock");
    // the clock runs outside the cgroup: "time passed" is counted in its ticks, not in ms
    const outside = gated(counter(clock));
    try {
      await outside.release();
      await withNested({}, async ({ cg, run }) => {
        await run(counter(inside));
        await until("the shell to count", () => count(inside) >= 2);
        assert.equal(cg.frozen(), false);

        await cg.freeze();
        assert.equal(cg.frozen(), true);
        assert.equal(readIn(cg, "freezer", "freezer.state"), "FROZEN");
        for (const pid of cg.pids()) {
          // how a v1-frozen task looks in /proc
          assert.match(Deno.readTextFileSync(`/proc/${pid}/status`), /^State:\s+D /m, `${pid}`);
        }
        const held = count(inside);
        const t0 = count(clock);
        await until("the clock to tick 10 times", () => count(clock) >= t0 + 10);
        assert.equal(count(inside), held, "a frozen shell must not count");

        cg.thaw();
        assert.equal(cg.frozen(), false);
        assert.equal(readIn(cg, "freezer", "freezer.state"), "THAWED");
        await until("the thawed shell to count on", () => count(inside) > held);
      });
    } finally {
      await outside.kill();
      await outside.output;
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "ContainerCgroup.pids: processes of nested sub-cgroups are listed; destroy removes those",
  ignore,
  fn: () =>
    withNested({}, async ({ cg, run }) => {
      const g = await run(
        "/bin/busybox sleep 1000 & /bin/busybox sleep 1000 & wait",
      );
      await until("two sleeps", () => cg.pids().length === 3);
      const [sub] = cg.pids().filter((p) => p !== g.child.pid);
      // a sub-cgroup in every hierarchy, as a container with its own cgroup namespace makes
      for (const p of cg.paths) {
        Deno.mkdirSync(join(p, "sub"));
        if (p.includes("/cpuset/")) {
          for (const f of ["cpuset.cpus", "cpuset.mems"]) {
            Deno.writeTextFileSync(join(p, "sub", f), Deno.readTextFileSync(join(p, f)));
          }
        }
        Deno.writeTextFileSync(join(p, "sub", "cgroup.procs"), String(sub));
      }
      for (const p of cg.paths) {
        assert.ok(
          !Deno.readTextFileSync(join(p, "cgroup.procs")).split("\n").includes(String(sub)),
        );
      }
      assert.ok(cg.pids().includes(sub), `${sub} in ${cg.pids()}`);
      assert.equal(cg.pids().length, 3);
      await cg.destroy({ kill });
      assert.equal((await g.output).signal, "SIGKILL");
      for (const p of cg.paths) assert.equal(exists(join(p, "sub")), false);
    }),
});

Deno.test({
  name: "ContainerCgroup.destroy: a frozen cgroup with processes is killed and removed",
  ignore,
  fn: () =>
    withNested({ pidsLimit: 50 }, async ({ cg, run }) => {
      const g = await run("/bin/busybox sleep 1000 & /bin/busybox sleep 1000 & wait");
      await until("two sleeps", () => cg.pids().length === 3);
      await cg.freeze();
      await assert.rejects(() => cg.destroy(), /still has processes/); // without kill it refuses
      await cg.destroy({ kill });
      assert.equal((await g.output).signal, "SIGKILL");
      assert.deepEqual(cg.pids(), []);
      for (const p of cg.paths) assert.equal(exists(p), false, p);
    }),
});
