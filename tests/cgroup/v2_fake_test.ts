/**
 * The v2 driver against a fake cgroupfs tree (tests/cgroup/_fake_cgroupfs.ts):
 * exact file contents per flag, subtree_control handling, undo and cleanup.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { openCgroups, parseResourceFlags, planV2, sharesToWeight } from "../../lib/cgroup/mod.ts";
import type { HostInfo } from "../../lib/cgroup/mod.ts";
import { CgroupError } from "../../lib/errors.ts";
import { FakeCgroupFs, type FakeOptions } from "./_fake_cgroupfs.ts";

const HOST: HostInfo = { cpus: [0, 1], mems: [0] };
const NAME = "tsbox-" + "ab".repeat(32);

/** Run `fn` with a fresh fake tree, removed afterwards even on failure. */
async function withFake(
  opts: FakeOptions,
  fn: (fake: FakeCgroupFs) => void | Promise<void>,
): Promise<void> {
  const fake = FakeCgroupFs.create(opts);
  try {
    await fn(fake);
  } finally {
    fake.dispose();
  }
}

const read = (fake: FakeCgroupFs, file: string) =>
  Deno.readTextFileSync(join(fake.root, NAME, file));

Deno.test("openCgroups: the host's driver is found once per process; a tree given is looked at each time", async () => {
  assert.equal(openCgroups(), openCgroups());
  await withFake({}, (fake) => {
    const a = openCgroups({ root: fake.root, fs: fake });
    assert.notEqual(a, openCgroups({ root: fake.root, fs: fake }));
    assert.notEqual(a, openCgroups());
  });
});

Deno.test("openCgroups: detects v2 from cgroup.controllers on the mount root", async () => {
  await withFake({}, (fake) => {
    assert.equal(openCgroups({ root: fake.root, fs: fake }).version, 2);
  });
});

Deno.test("sharesToWeight: quadratic mapping keeps min, default and max", () => {
  assert.equal(sharesToWeight(0), 0);
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 100);
  assert.equal(sharesToWeight(262144), 10000);
  assert.equal(sharesToWeight(512), 59);
  assert.equal(sharesToWeight(2048), 174);
  assert.equal(sharesToWeight(100), 17);
});

Deno.test("V2Driver.create: every flag lands in its file with the exact value", async () => {
  await withFake({}, (fake) => {
    const limits = parseResourceFlags({
      memory: "512m",
      "memory-swap": "1g",
      "memory-reservation": "256m",
      cpus: "1.5",
      "cpu-shares": "512",
      "cpuset-cpus": "1",
      "cpuset-mems": "0",
      "pids-limit": "100",
    }, HOST);
    const cg = openCgroups({ root: fake.root, fs: fake }).create(NAME, limits);
    assert.deepEqual(cg.paths, [join(fake.root, NAME)]);
    assert.equal(read(fake, "memory.max"), "536870912");
    assert.equal(read(fake, "memory.swap.max"), "536870912"); // 1g total − 512m memory
    assert.equal(read(fake, "memory.low"), "268435456");
    assert.equal(read(fake, "cpu.max"), "150000 100000");
    assert.equal(read(fake, "cpu.weight"), "59");
    assert.equal(read(fake, "cpuset.cpus"), "1");
    assert.equal(read(fake, "cpuset.mems"), "0");
    assert.equal(read(fake, "pids.max"), "100");
    assert.equal(
      Deno.readTextFileSync(join(fake.root, "cgroup.subtree_control")),
      "cpuset cpu io memory pids\n",
    );
  });
});

Deno.test("V2Driver.create: unset flags leave the kernel defaults alone", async () => {
  await withFake({}, (fake) => {
    const cg = openCgroups({ root: fake.root, fs: fake }).create(
      NAME,
      parseResourceFlags({ memory: "64m" }, HOST),
    );
    assert.equal(read(fake, "memory.max"), "67108864");
    assert.equal(read(fake, "memory.swap.max"), "67108864"); // docker default: swap = 2 × memory
    assert.equal(read(fake, "memory.low"), "0");
    assert.equal(read(fake, "cpu.max"), "max 100000");
    assert.equal(read(fake, "cpu.weight"), "100");
    assert.equal(read(fake, "cpuset.cpus"), "");
    assert.equal(read(fake, "pids.max"), "max");
    const inCgroup = fake.writes.filter((w) => w.path.startsWith(cg.paths[0] + "/"));
    assert.deepEqual(inCgroup.map((w) => w.path.slice(cg.paths[0].length + 1)), [
      "memory.max",
      "memory.swap.max",
    ]);
  });
});

Deno.test("planV2: unlimited values are written as max", () => {
  const dir = "/fake/x";
  const writes = planV2(
    parseResourceFlags({
      memory: "64m",
      "memory-swap": "-1",
      "cpu-quota": "-1",
      "pids-limit": "-1",
    }, HOST),
    dir,
    { swap: true },
  );
  assert.deepEqual(writes, [
    { path: `${dir}/memory.max`, value: "67108864" },
    { path: `${dir}/memory.swap.max`, value: "max" },
    { path: `${dir}/cpu.max`, value: "max 100000" },
    { path: `${dir}/pids.max`, value: "max" },
  ]);
  assert.deepEqual(
    planV2(parseResourceFlags({ "cpu-period": "50000", "cpu-quota": "20000" }, HOST), dir, {
      swap: true,
    }),
    [
      { path: `${dir}/cpu.max`, value: "20000 50000" },
    ],
  );
});

Deno.test("V2Driver.create: without swap accounting memory.swap.max is not written", async () => {
  await withFake({ swap: false }, (fake) => {
    openCgroups({ root: fake.root, fs: fake }).create(
      NAME,
      parseResourceFlags({ memory: "64m", "memory-swap": "128m" }, HOST),
    );
    assert.equal(read(fake, "memory.max"), "67108864");
    assert.equal(fake.exists(join(fake.root, NAME, "memory.swap.max")), false);
  });
});

Deno.test("V2Driver.create: enables only missing controllers, one write each", async () => {
  await withFake({ enabled: ["cpu", "io"] }, (fake) => {
    openCgroups({ root: fake.root, fs: fake }).create(NAME, {});
    const sc = join(fake.root, "cgroup.subtree_control");
    assert.deepEqual(fake.writes.filter((w) => w.path === sc).map((w) => w.value), [
      "+cpuset",
      "+memory",
      "+pids",
    ]);
    assert.equal(Deno.readTextFileSync(sc), "cpuset cpu io memory pids\n");
    // the child sees the controllers: their files exist
    for (const f of ["cpuset.cpus", "cpu.max", "memory.max", "pids.max"]) {
      assert.ok(fake.exists(join(fake.root, NAME, f)), f);
    }
  });
});

Deno.test("V2Driver.create: a controller the root lacks fails only when a flag needs it", async () => {
  await withFake({ controllers: ["cpu", "memory"] }, async (fake) => {
    const d = openCgroups({ root: fake.root, fs: fake });
    assert.throws(
      () => d.create(NAME, parseResourceFlags({ "pids-limit": "10" }, HOST)),
      (e: unknown) => e instanceof CgroupError && /'pids'.*--pids-limit/.test(e.message),
    );
    assert.equal(fake.exists(join(fake.root, NAME)), false, "nothing created");
    assert.equal(fake.writes.length, 0, "nothing written");
    const cg = d.create(NAME, parseResourceFlags({ memory: "64m" }, HOST));
    assert.equal(Deno.readTextFileSync(join(fake.root, "cgroup.subtree_control")), "cpu memory\n");
    await cg.destroy();
  });
});

Deno.test("V2Driver.create: a rejected write removes the new directory", async () => {
  await withFake({}, (fake) => {
    fake.failWrite = "pids.max";
    const d = openCgroups({ root: fake.root, fs: fake });
    assert.throws(
      () => d.create(NAME, parseResourceFlags({ memory: "64m", "pids-limit": "10" }, HOST)),
      (e: unknown) =>
        e instanceof CgroupError && e.message.includes(`${NAME}/pids.max "10"`) &&
        /Invalid argument/.test(e.message),
    );
    assert.equal(fake.exists(join(fake.root, NAME)), false);
    assert.equal(d.open(NAME), undefined);
  });
});

Deno.test("V2Driver.create: an existing cgroup is never reused", async () => {
  await withFake({}, (fake) => {
    const d = openCgroups({ root: fake.root, fs: fake });
    d.create(NAME, {});
    assert.throws(
      () => d.create(NAME, {}),
      (e: unknown) => e instanceof CgroupError && /already exists/.test(e.message),
    );
    assert.ok(fake.exists(join(fake.root, NAME)), "the first one is left alone");
  });
});

Deno.test("V2Driver: open, addProcess, stats and oomKilled read the cgroup's files", async () => {
  await withFake({}, (fake) => {
    const d = openCgroups({ root: fake.root, fs: fake });
    assert.equal(d.open(NAME), undefined);
    d.create(NAME, parseResourceFlags({ memory: "64m", "pids-limit": "50" }, HOST));
    const cg = d.open(NAME)!;
    cg.addProcess(4242);
    assert.equal(read(fake, "cgroup.procs"), "4242\n");
    assert.throws(() => cg.addProcess(0), CgroupError);
    const dir = join(fake.root, NAME);
    Deno.writeTextFileSync(join(dir, "memory.current"), "10000\n");
    Deno.writeTextFileSync(join(dir, "memory.stat"), "anon 8000\ninactive_file 3000\n");
    Deno.writeTextFileSync(join(dir, "cpu.stat"), "usage_usec 1500\nuser_usec 1000\n");
    Deno.writeTextFileSync(join(dir, "pids.current"), "3\n");
    Deno.writeTextFileSync(join(dir, "io.stat"), "254:0 rbytes=4096 wbytes=512 rios=1 wios=1\n");
    assert.equal(cg.oomKilled(), false);
    Deno.writeTextFileSync(join(dir, "memory.events"), "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n");
    assert.deepEqual(cg.stats(), {
      memoryUsage: 7000,
      memoryLimit: 64 * 1024 * 1024,
      cpuUsageNs: 1_500_000,
      pids: 3,
      pidsLimit: 50,
      oomKills: 1,
      blkioRead: 4096,
      blkioWrite: 512,
    });
    assert.equal(cg.oomKilled(), true);
  });
});

Deno.test("ContainerCgroup.destroy: removes the directory, is idempotent, waits out busy", async () => {
  await withFake({}, async (fake) => {
    const d = openCgroups({ root: fake.root, fs: fake });
    const cg = d.create(NAME, {});
    cg.addProcess(4242);
    // the "process" leaves after a moment, as an exiting task does
    setTimeout(() => Deno.writeTextFileSync(join(cg.paths[0], "cgroup.procs"), ""), 100);
    await cg.destroy();
    assert.equal(fake.exists(join(fake.root, NAME)), false);
    await cg.destroy();
    assert.equal(d.open(NAME), undefined);
  });
});

Deno.test("ContainerCgroup.destroy: an idle cgroup goes with one rmdir, nothing listed or read", async () => {
  await withFake({}, async (fake) => {
    const cg = openCgroups({ root: fake.root, fs: fake }).create(NAME, {});
    // what the driver asks of the filesystem (not the fake's own reads inside its rmdir)
    const calls: string[] = [];
    let inside = false;
    const { rmdir, subdirs, read } = fake;
    fake.rmdir = (p) => {
      calls.push(`rmdir ${p}`);
      inside = true;
      try {
        rmdir.call(fake, p);
      } finally {
        inside = false;
      }
    };
    fake.subdirs = (p) => (calls.push(`list ${p}`), subdirs.call(fake, p));
    fake.read = (p) => (inside || calls.push(`read ${p}`), read.call(fake, p));
    await cg.destroy({ kill: () => assert.fail("nothing to kill") });
    assert.deepEqual(calls, [`rmdir ${cg.paths[0]}`]);
    assert.equal(fake.exists(cg.paths[0]), false);
    // with a sub-cgroup the rmdir is refused: then the tree is listed and removed children first
    const again = openCgroups({ root: fake.root, fs: fake }).create(NAME, {});
    fake.mkdir(join(again.paths[0], "payload"));
    calls.length = 0;
    await again.destroy();
    assert.equal(fake.exists(again.paths[0]), false);
    assert.deepEqual(calls.filter((c) => c.startsWith("rmdir")), [
      `rmdir ${again.paths[0]}`,
      `rmdir ${join(again.paths[0], "payload")}`,
      `rmdir ${again.paths[0]}`,
    ]);
  });
});

Deno.test("ContainerCgroup.destroy: a cgroup that stays busy is a CgroupError", async () => {
  await withFake({}, async (fake) => {
    const cg = openCgroups({ root: fake.root, fs: fake }).create(NAME, {});
    cg.addProcess(4242);
    await assert.rejects(
      cg.destroy(),
      (e: unknown) => e instanceof CgroupError && /still has processes/.test(e.message),
    );
    Deno.writeTextFileSync(join(cg.paths[0], "cgroup.procs"), "");
    await cg.destroy();
  });
});

Deno.test("V2Driver.create: a name with a slash is refused before any write", async () => {
  await withFake({}, (fake) => {
    const d = openCgroups({ root: fake.root, fs: fake });
    assert.throws(() => d.create("../escape", {}), CgroupError);
    assert.throws(() => d.open("a/b"), CgroupError);
    assert.equal(fake.writes.length, 0);
  });
});

Deno.test("V2Driver.createAt a nested path: levels made, controllers enabled at each", async () => {
  await withFake({}, (fake) => {
    const limits = parseResourceFlags({ memory: "64m", "pids-limit": "9" }, HOST);
    const cg = openCgroups({ root: fake.root, fs: fake }).createAt(`/outer/inner/${NAME}`, limits);
    const dir = join(fake.root, "outer", "inner", NAME);
    assert.deepEqual(cg.paths, [dir]);
    for (const level of ["", "outer", "outer/inner"]) {
      const on = Deno.readTextFileSync(join(fake.root, level, "cgroup.subtree_control"));
      assert.equal(on.trim(), "cpuset cpu io memory pids", level);
    }
    assert.equal(Deno.readTextFileSync(join(dir, "pids.max")), "9");
    assert.deepEqual(
      openCgroups({ root: fake.root, fs: fake }).openAt(`/outer/inner/${NAME}`)?.paths,
      [dir],
    );
    assert.equal(openCgroups({ root: fake.root, fs: fake }).open(NAME), undefined);
  });
});

Deno.test("V2Driver.createAt under a parent that has processes: one-line error, nothing made", async () => {
  await withFake({ enabled: ["cpuset", "cpu", "memory", "pids"] }, (fake) => {
    const driver = openCgroups({ root: fake.root, fs: fake });
    fake.mkdir(join(fake.root, "busy"));
    fake.write(join(fake.root, "busy", "cgroup.procs"), "4242");
    assert.throws(
      () => driver.createAt(`/busy/inner/${NAME}`, parseResourceFlags({ memory: "64m" }, HOST)),
      (e: unknown) =>
        e instanceof CgroupError && /in \S+\/busy: it has processes of its own/.test(e.message) &&
        !e.message.includes("\n"),
    );
    assert.equal(fake.exists(join(fake.root, "busy", "inner")), false);
  });
});

Deno.test("V2Driver: a path with .. or an empty name is refused", async () => {
  await withFake({}, (fake) => {
    const d = openCgroups({ root: fake.root, fs: fake });
    assert.throws(() => d.createAt("../x", {}), CgroupError);
    assert.throws(() => d.createAt("a/../../b", {}), CgroupError);
  });
});

Deno.test("ContainerCgroup.destroy: sub-cgroups the container made are removed first", async () => {
  await withFake({}, async (fake) => {
    const cg = openCgroups({ root: fake.root, fs: fake }).create(NAME, {});
    fake.mkdir(join(cg.paths[0], "payload"));
    fake.mkdir(join(cg.paths[0], "payload", "inner"));
    await cg.destroy();
    assert.equal(fake.exists(cg.paths[0]), false);
  });
});

Deno.test("V2Driver.create under a parent with processes, no limits: created, parent untouched", async () => {
  await withFake({ enabled: ["cpuset", "cpu", "memory", "pids"] }, (fake) => {
    fake.mkdir(join(fake.root, "busy"));
    fake.write(join(fake.root, "busy", "cgroup.procs"), "4242");
    const cg = openCgroups({ root: fake.root, fs: fake }).createAt(`/busy/${NAME}`, {});
    assert.deepEqual(cg.paths, [join(fake.root, "busy", NAME)]);
    assert.equal(Deno.readTextFileSync(join(fake.root, "busy", "cgroup.subtree_control")), "");
  });
});
