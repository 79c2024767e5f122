/**
 * The v2 driver's OCI-runtime side against the fake cgroupfs: placement by
 * cgroupsPath (nested parents, subtree_control at every level, only the
 * container's own directory removed), OCI limits, live update, the
 * freezer, pids, killAll and destroy of a frozen cgroup.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ociResources, openCgroups } from "../../lib/cgroup/mod.ts";
import type { CgroupDriver, ProcessKiller } from "../../lib/cgroup/mod.ts";
import { CgroupError } from "../../lib/errors.ts";
import { FakeCgroupFs, type FakeOptions } from "./_fake_cgroupfs.ts";

const ID = "cd".repeat(32);
const noBpf = {
  attachDeviceFilter() {
    throw new Error("no device rules in these tests");
  },
};

/** Run `fn` with a fresh fake tree and a driver on it, removed afterwards even on failure. */
async function withFake(
  opts: FakeOptions,
  fn: (fake: FakeCgroupFs, d: CgroupDriver) => void | Promise<void>,
): Promise<void> {
  const fake = FakeCgroupFs.create(opts);
  try {
    await fn(fake, openCgroups({ root: fake.root, fs: fake, bpf: noBpf }));
  } finally {
    fake.dispose();
  }
}

const text = (p: string) => Deno.readTextFileSync(p);
const exists = (p: string) => {
  try {
    Deno.statSync(p);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
};

Deno.test("V2Driver.createAt: /docker/<id> makes the parent and enables controllers at each level", async () => {
  await withFake({}, (fake, d) => {
    const cg = d.createAt(`/docker/${ID}`, ociResources({ pids: { limit: 2048 } }));
    assert.equal(cg.path, `/docker/${ID}`);
    assert.equal(cg.name, ID);
    assert.deepEqual(cg.paths, [join(fake.root, "docker", ID)]);
    assert.equal(text(join(fake.root, "cgroup.subtree_control")), "cpuset cpu io memory pids\n");
    assert.equal(
      text(join(fake.root, "docker", "cgroup.subtree_control")),
      "cpuset cpu io memory pids\n",
    );
    assert.equal(text(join(fake.root, "docker", ID, "pids.max")), "2048");
    assert.equal(d.openAt(`docker/${ID}`)?.paths[0], cg.paths[0]);
  });
});

Deno.test("ContainerCgroup.destroy: removes the container's dir and sub-cgroups, never the parent", async () => {
  await withFake({}, async (fake, d) => {
    const cg = d.createAt(`/libpod_parent/libpod-${ID}`, {});
    fake.mkdir(join(cg.paths[0], "inner")); // the container made its own sub-cgroup
    fake.mkdir(join(cg.paths[0], "inner", "deeper"));
    await cg.destroy();
    assert.equal(exists(cg.paths[0]), false);
    assert.equal(exists(join(fake.root, "libpod_parent")), true);
    assert.equal(d.openAt(`/libpod_parent/libpod-${ID}`), undefined);
    await cg.destroy(); // idempotent
  });
});

Deno.test("V2Driver.createAt: an existing parent is used as is and kept", async () => {
  await withFake({}, async (fake, d) => {
    fake.mkdir(join(fake.root, "ns"));
    const a = d.createAt(`/ns/a`, {});
    const b = d.createAt(`/ns/b`, {});
    assert.throws(() => d.createAt(`/ns/a`, {}), /already exists/);
    await a.destroy();
    await b.destroy();
    assert.equal(exists(join(fake.root, "ns")), true);
  });
});

Deno.test("V2Driver.createAt: a failed create removes the parents it made, not others", async () => {
  await withFake({}, (fake, d) => {
    fake.mkdir(join(fake.root, "a"));
    fake.failWrite = "pids.max";
    assert.throws(() => d.createAt(`/a/b/c`, { pidsLimit: 5 }), CgroupError);
    assert.equal(exists(join(fake.root, "a", "b")), false);
    assert.equal(exists(join(fake.root, "a")), true);
  });
});

Deno.test("V2Driver.createAt: systemd and unsafe paths fail before anything is made", async () => {
  await withFake({}, (fake, d) => {
    assert.throws(() => d.createAt(`system.slice:docker:${ID}`, {}), /systemd/);
    assert.throws(() => d.createAt(`/docker/../x`, {}), /"\.\." is not allowed/);
    assert.throws(() => d.openAt(`/docker//x`), /empty path component/);
    assert.deepEqual(fake.writes, []);
  });
});

Deno.test("V2Driver.createAt: OCI limits land in their files; v1-only fields are ignored", async () => {
  await withFake({}, (fake, d) => {
    const cg = d.createAt(
      `/docker/${ID}`,
      ociResources({
        memory: {
          limit: 64 << 20,
          swap: 96 << 20,
          reservation: 16 << 20,
          swappiness: 5,
          disableOOMKiller: true,
        },
        cpu: { shares: 1024, quota: 20000, period: 50000, cpus: "1", mems: "0" },
        pids: { limit: -1 },
        blockIO: { weight: 500 },
        hugepageLimits: [{ pageSize: "2MB", limit: 2 << 20 }],
        unified: { "memory.high": "50000000" },
      }),
    );
    const f = (n: string) => text(join(cg.paths[0], n));
    assert.equal(f("memory.max"), String(64 << 20));
    assert.equal(f("memory.swap.max"), String(32 << 20));
    assert.equal(f("memory.low"), String(16 << 20));
    assert.equal(f("cpu.weight"), "100");
    assert.equal(f("cpu.max"), "20000 50000");
    assert.equal(f("cpuset.cpus"), "1");
    assert.equal(f("pids.max"), "max");
    assert.equal(f("io.weight"), "4950"); // runc's conversion of blkio weight 500
    assert.equal(f("hugetlb.2MB.max"), String(2 << 20));
    assert.equal(f("memory.high"), "50000000");
    // io and hugetlb were enabled because the limits asked for them
    assert.equal(
      text(join(fake.root, "docker", "cgroup.subtree_control")),
      "cpuset cpu io memory hugetlb pids\n",
    );
  });
});

Deno.test("V2Driver.createAt: io.bfq.weight takes the blkio weight as is", async () => {
  await withFake({ bfq: true }, (_fake, d) => {
    const cg = d.createAt(`/x`, { blkioWeight: 300 });
    assert.equal(text(join(cg.paths[0], "io.bfq.weight")), "300");
  });
});

Deno.test("V2Driver.createAt: hosts without io or hugetlb skip those limits without error", async () => {
  await withFake({ controllers: ["cpuset", "cpu", "memory", "pids"] }, (fake, d) => {
    const cg = d.createAt(`/x`, {
      blkioWeight: 300,
      hugepageLimits: [{ pageSize: "2MB", limit: 0 }],
    });
    assert.deepEqual(fake.writes.filter((w) => w.path.startsWith(cg.paths[0] + "/")), []);
  });
});

Deno.test("V2Driver.createAt: a hugepage size the host lacks, or a unified key without its controller, is refused", async () => {
  await withFake({ controllers: ["cpuset", "cpu", "memory", "pids", "hugetlb"] }, (fake, d) => {
    assert.throws(
      () => d.createAt(`/x`, { hugepageLimits: [{ pageSize: "16GB", limit: 0 }] }),
      /hugepage size 16GB is not supported by this host/,
    );
    assert.equal(exists(join(fake.root, "x")), false);
    assert.throws(
      () => d.createAt(`/x`, { unified: { "io.max": "8:0 rbps=1" } }),
      /controller 'io' is not available .*unified/,
    );
    assert.throws(
      () => d.createAt(`/x`, { unified: { "../x": "1" } }),
      /not a cgroup v2 file name/,
    );
    assert.throws(
      () => d.createAt(`/x`, { unified: { "cgroup.procs": "1" } }),
      /the runtime manages it/,
    );
  });
});

Deno.test("ContainerCgroup.update: writes only the limits given, into the live cgroup", async () => {
  await withFake({}, (fake, d) => {
    const cg = d.createAt(
      `/docker/${ID}`,
      ociResources({ memory: { limit: 64 << 20 }, pids: { limit: 5 } }),
    );
    const before = fake.writes.length;
    cg.update(ociResources(JSON.parse(
      '{"memory":{"limit":134217728,"reservation":0,"swap":268435456,"kernel":0},"cpu":{"shares":0,"quota":0,"period":0},"blockIO":{"weight":0}}',
    )));
    assert.deepEqual(
      fake.writes.slice(before).map((w) => [w.path.slice(cg.paths[0].length + 1), w.value]),
      [
        ["memory.max", String(128 << 20)],
        ["memory.swap.max", String(128 << 20)],
      ],
    );
    assert.equal(text(join(cg.paths[0], "pids.max")), "5");
    cg.update({ devices: [{ allow: false }] }); // device rules are not updated
    assert.equal(fake.writes.length, before + 2);
  });
});

Deno.test("ContainerCgroup.freeze: waits until cgroup.events says frozen; thaw and frozen()", async () => {
  await withFake({ freezeLag: 3 }, async (fake, d) => {
    const cg = d.createAt(`/docker/${ID}`, {});
    assert.equal(cg.frozen(), false);
    await cg.freeze();
    assert.equal(fake.eventReads.get(cg.paths[0]), 4); // three "frozen 0", then "frozen 1"
    assert.equal(cg.frozen(), true);
    assert.equal(text(join(cg.paths[0], "cgroup.freeze")), "1");
    cg.thaw();
    assert.equal(cg.frozen(), false);
    assert.match(text(join(cg.paths[0], "cgroup.events")), /^frozen 0$/m);
  });
});

Deno.test("ContainerCgroup.frozen: a cgroup frozen only through its parent is not paused itself", async () => {
  await withFake({}, (fake, d) => {
    const cg = d.createAt(`/docker/${ID}`, {});
    const parent = join(fake.root, "docker");
    fake.write(join(parent, "cgroup.freeze"), "1");
    assert.equal(cg.frozen(), false);
    fake.write(join(parent, "cgroup.freeze"), "0");
  });
});

Deno.test("ContainerCgroup.pids: every pid of the cgroup and its sub-cgroups, ascending", async () => {
  await withFake({}, async (fake, d) => {
    const cg = d.createAt(`/docker/${ID}`, {});
    cg.addProcess(300);
    fake.addPid(cg.paths[0], 20);
    fake.mkdir(join(cg.paths[0], "sub"));
    fake.addPid(join(cg.paths[0], "sub"), 4000);
    assert.deepEqual(cg.pids(), [20, 300, 4000]);
    for (const p of [20, 300, 4000]) fake.removePid(p);
    assert.deepEqual(cg.pids(), []);
    await cg.destroy();
    assert.deepEqual(cg.pids(), []);
  });
});

/** A killer that records signals and lets the fake's processes exit on SIGKILL. */
function recorder(fake: FakeCgroupFs): { kill: ProcessKiller; sent: [number, number][] } {
  const sent: [number, number][] = [];
  return {
    sent,
    kill: (pid, sig) => {
      sent.push([pid, sig]);
      if (sig === 9) fake.removePid(pid);
      return true;
    },
  };
}

Deno.test("ContainerCgroup.destroy: a frozen cgroup with processes goes with kill (cgroup.kill)", async () => {
  await withFake({}, async (fake, d) => {
    const cg = d.createAt(`/docker/${ID}`, {});
    fake.addPid(cg.paths[0], 11);
    fake.mkdir(join(cg.paths[0], "sub"));
    fake.addPid(join(cg.paths[0], "sub"), 12);
    await cg.freeze();
    const r = recorder(fake);
    await cg.destroy({ kill: r.kill });
    assert.deepEqual(r.sent, []); // the kernel killed them through cgroup.kill
    assert.ok(
      fake.writes.some((w) => w.path === join(cg.paths[0], "cgroup.kill") && w.value === "1"),
    );
    assert.equal(exists(cg.paths[0]), false);
  });
});

Deno.test("ContainerCgroup.killAll: without cgroup.kill it freezes, signals each pid, thaws", async () => {
  await withFake({ cgroupKill: false }, async (fake, d) => {
    const cg = d.createAt(`/docker/${ID}`, {});
    fake.addPid(cg.paths[0], 11);
    fake.addPid(cg.paths[0], 12);
    const r = recorder(fake);
    await cg.killAll(r.kill);
    assert.deepEqual(r.sent, [[11, 9], [12, 9]]);
    const freezes = fake.writes.filter((w) => w.path.endsWith("/cgroup.freeze")).map((w) =>
      w.value
    );
    assert.deepEqual(freezes, ["1", "0"]);
    assert.equal(cg.frozen(), false);
    await cg.destroy();
  });
});

Deno.test("ContainerCgroup.destroy: without kill, a cgroup with processes stays and says why", async () => {
  await withFake({}, async (fake, d) => {
    const cg = d.createAt(`/x`, {});
    fake.addPid(cg.paths[0], 11);
    await assert.rejects(() => cg.destroy(), /still has processes/);
    fake.removePid(11);
    await cg.destroy();
  });
});
