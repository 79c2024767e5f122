/**
 * Resource limits on the real kernel (v1 here; the same tests drive the v2
 * driver on a v2 host). Independent of the rest of tsbox: a gated busybox
 * shell is moved into the cgroup, then released. Needs root.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type ContainerCgroup,
  hostInfo,
  openCgroups,
  parseResourceFlags,
} from "../../lib/cgroup/mod.ts";
import { CgroupError } from "../../lib/errors.ts";
import { type Gated, gated, IS_ROOT, killAll, leftovers, testName } from "./_real.ts";

const NAMES: string[] = [];
const ignore = !IS_ROOT;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Create a cgroup with `flags`, run `fn`, and always clean up: kill the
 * shells and everything in the cgroup, destroy it, check no directory is left.
 */
async function withCgroup(
  flags: Record<string, string>,
  fn: (cg: ContainerCgroup, spawn: (script: string) => Gated) => Promise<void>,
): Promise<void> {
  const name = testName();
  NAMES.push(name);
  const cg = openCgroups().create(name, parseResourceFlags(flags, hostInfo()));
  const shells: Gated[] = [];
  try {
    await fn(cg, (script) => {
      const g = gated(script);
      shells.push(g);
      return g;
    });
  } finally {
    for (const g of shells) await g.kill();
    await killAll(cg);
    for (const g of shells) await g.output;
    await cg.destroy();
    assert.deepEqual(leftovers(name), []);
  }
}

/** Spawn, move into `cg`, release; returns the shell. */
async function runIn(
  cg: ContainerCgroup,
  spawn: (s: string) => Gated,
  script: string,
): Promise<Gated> {
  const g = spawn(script);
  cg.addProcess(g.child.pid);
  await g.release();
  return g;
}

const v1 = () => openCgroups().version === 1;
const readIn = (cg: ContainerCgroup, hierarchy: string, file: string) =>
  Deno.readTextFileSync(join(cg.paths.find((p) => p.includes(`/${hierarchy}/`))!, file)).trim();

Deno.test({
  name: "V1Driver.create: one flat cgroup per hierarchy with every limit written",
  ignore: ignore || !v1(),
  fn: () =>
    withCgroup({
      memory: "64m",
      "memory-reservation": "32m",
      "cpu-shares": "512",
      cpus: "0.5",
      "cpuset-cpus": "0",
      "pids-limit": "30",
    }, (cg) => {
      for (const h of ["memory", "cpu", "cpuacct", "cpuset", "pids"]) {
        assert.ok(cg.paths.includes(`/sys/fs/cgroup/${h}/${cg.name}`), `${h} in ${cg.paths}`);
      }
      assert.equal(readIn(cg, "memory", "memory.limit_in_bytes"), String(64 << 20));
      if (Deno.statSync("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes").isFile) {
        assert.equal(readIn(cg, "memory", "memory.memsw.limit_in_bytes"), String(128 << 20));
      }
      assert.equal(readIn(cg, "memory", "memory.soft_limit_in_bytes"), String(32 << 20));
      assert.equal(readIn(cg, "cpu", "cpu.shares"), "512");
      assert.equal(readIn(cg, "cpu", "cpu.cfs_period_us"), "100000");
      assert.equal(readIn(cg, "cpu", "cpu.cfs_quota_us"), "50000");
      assert.equal(readIn(cg, "cpuset", "cpuset.cpus"), "0");
      // not asked for, so inherited: a v1 cpuset with empty mems refuses tasks
      assert.equal(
        readIn(cg, "cpuset", "cpuset.mems"),
        Deno.readTextFileSync("/sys/fs/cgroup/cpuset/cpuset.mems").trim(),
      );
      assert.equal(readIn(cg, "pids", "pids.max"), "30");
      return Promise.resolve();
    }),
});

const HOG =
  `x=$(/bin/busybox head -c 100000000 /dev/zero | /bin/busybox tr '\\0' a); echo survived \${#x}`;

Deno.test({
  name: "ContainerCgroup.oomKilled: a 100 MB hog under --memory 32m is OOM-killed",
  ignore,
  fn: () =>
    withCgroup({ memory: "32m" }, async (cg, spawn) => {
      const g = await runIn(cg, spawn, HOG);
      const out = await g.output;
      assert.equal(out.signal, "SIGKILL", `hog should be killed: ${JSON.stringify(out)}`);
      assert.ok(!out.stdout.includes("survived"));
      assert.equal(cg.oomKilled(), true);
      assert.ok(cg.stats().oomKills >= 1);
    }),
});

Deno.test({
  name: "ContainerCgroup.oomKilled: the same hog under --memory 512m survives (control)",
  ignore,
  fn: () =>
    withCgroup({ memory: "512m" }, async (cg, spawn) => {
      const g = await runIn(cg, spawn, HOG);
      const out = await g.output;
      assert.equal(out.stdout.trim(), "survived 100000000");
      assert.equal(cg.oomKilled(), false);
    }),
});

Deno.test({
  name: "ContainerCgroup: --pids-limit 20 caps a fork loop",
  ignore,
  fn: () =>
    withCgroup({ "pids-limit": "20" }, async (cg, spawn) => {
      const g = await runIn(
        cg,
        spawn,
        "i=0; while [ $i -lt 40 ]; do /bin/busybox sleep 10 >/dev/null 2>&1 & i=$((i+1)); done; echo all forked; wait",
      );
      // the shell dies on its first failed fork; its sleeping children stay
      const out = await g.output;
      assert.ok(!out.stdout.includes("all forked"), "40 forks cannot all succeed");
      assert.match(out.stderr, /fork/i);
      const st = cg.stats();
      assert.equal(st.pidsLimit, 20);
      assert.ok(st.pids <= 20 && st.pids >= 15, `pids.current = ${st.pids}`);
      const events = cg.paths.map((p) => join(p, "pids.events")).find((p) => {
        try {
          return Deno.statSync(p).isFile;
        } catch (err) {
          if (err instanceof Deno.errors.NotFound) return false; // not in this hierarchy
          throw err;
        }
      });
      if (events) assert.match(Deno.readTextFileSync(events), /max [1-9]/);
    }),
});

Deno.test({
  name: "ContainerCgroup: --cpus 0.5 holds a busy loop near half a CPU",
  ignore,
  fn: () =>
    withCgroup({ cpus: "0.5" }, async (cg, spawn) => {
      await runIn(cg, spawn, "while :; do :; done");
      await sleep(300); // let the first CFS periods pass
      const t0 = performance.now();
      const u0 = cg.stats().cpuUsageNs;
      await sleep(2000);
      const u1 = cg.stats().cpuUsageNs;
      const wallNs = (performance.now() - t0) * 1e6;
      const share = (u1 - u0) / wallNs;
      assert.ok(share > 0.35 && share < 0.65, `CPU share ${share.toFixed(3)} not ≈ 0.5`);
    }),
});

Deno.test({
  name: "ContainerCgroup: --cpuset-cpus 0 pins the process to CPU 0",
  ignore,
  fn: () =>
    withCgroup({ "cpuset-cpus": "0" }, async (cg, spawn) => {
      const g = spawn("/bin/busybox grep Cpus_allowed_list /proc/self/status");
      cg.addProcess(g.child.pid);
      const status = Deno.readTextFileSync(`/proc/${g.child.pid}/status`);
      assert.match(status, /^Cpus_allowed_list:\s+0$/m);
      await g.release();
      const out = await g.output;
      assert.match(out.stdout, /^Cpus_allowed_list:\s+0$/m);
    }),
});

Deno.test({
  name: "CgroupDriver.create: a value the kernel rejects undoes every directory",
  ignore,
  fn: () => {
    const name = testName();
    NAMES.push(name);
    const d = openCgroups();
    try {
      assert.throws(
        () => d.create(name, { memory: 64 << 20, cpusetCpus: "9999" }),
        (e: unknown) =>
          e instanceof CgroupError && e.message.includes("cpuset.cpus") &&
          e.message.includes("9999"),
      );
      assert.deepEqual(leftovers(name), []);
      assert.equal(d.open(name), undefined);
    } finally {
      for (const p of leftovers(name)) Deno.removeSync(p);
    }
  },
});

Deno.test({
  name: "ContainerCgroup: open, stats, busy destroy and idempotent destroy",
  ignore,
  fn: () =>
    withCgroup({ memory: "64m", "pids-limit": "50" }, async (cg, spawn) => {
      const d = openCgroups();
      const again = d.open(cg.name)!;
      assert.deepEqual(again.paths, cg.paths);
      assert.throws(() => d.create(cg.name, {}), (e: unknown) =>
        e instanceof CgroupError && /already exists/.test(e.message));
      const g = await runIn(cg, spawn, "exec /bin/busybox sleep 30");
      await sleep(100);
      const st = again.stats();
      assert.equal(st.memoryLimit, 64 << 20);
      assert.equal(st.pidsLimit, 50);
      assert.ok(st.pids >= 1, `pids ${st.pids}`);
      assert.ok(st.memoryUsage > 0 && st.cpuUsageNs > 0, JSON.stringify(st));
      assert.equal(again.oomKilled(), false);
      await assert.rejects(again.destroy(), (e: unknown) =>
        e instanceof CgroupError && /still has processes/.test(e.message));
      await g.kill();
      await killAll(cg);
      await again.destroy();
      await again.destroy();
      assert.equal(d.open(cg.name), undefined);
      assert.throws(() =>
        cg.addProcess(Deno.pid), CgroupError);
    }),
});

Deno.test({
  name: "cleanup: no tsbox-* cgroup of these tests is left in any hierarchy",
  ignore,
  fn: () => {
    assert.ok(NAMES.length > 0);
    for (const n of NAMES) assert.deepEqual(leftovers(n), []);
  },
});
