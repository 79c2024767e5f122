/**
 * The v1 freezer on a fake v1 tree (plain files in a temp dir) whose
 * freezer.state can be made to stay FREEZING: the bounded retry, the
 * error, and the thaw that undoes a failed freeze.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type CgroupFs, openCgroups } from "../../lib/cgroup/mod.ts";
import { CgroupError } from "../../lib/errors.ts";

/** A v1 layout with memory and freezer hierarchies; `stuck`: freezer.state reads FREEZING. */
function fakeV1(root: string, opts: { stuck: boolean }): CgroupFs & { writes: string[] } {
  for (const h of ["memory", "freezer"]) {
    Deno.mkdirSync(join(root, h));
    Deno.writeTextFileSync(join(root, h, "cgroup.procs"), "");
  }
  const writes: string[] = [];
  return {
    writes,
    exists(p) {
      try {
        Deno.statSync(p);
        return true;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return false;
        throw err;
      }
    },
    read(p) {
      const t = Deno.readTextFileSync(p);
      return opts.stuck && p.endsWith("/freezer.state") && t === "FROZEN" ? "FREEZING\n" : t;
    },
    write(p, v) {
      Deno.statSync(p); // never creates, like cgroupfs
      writes.push(`${p.slice(root.length)}=${v}`);
      Deno.writeTextFileSync(p, v);
    },
    mkdir(p) {
      Deno.mkdirSync(p);
      for (const f of ["cgroup.procs", "memory.limit_in_bytes"]) {
        Deno.writeTextFileSync(join(p, f), "");
      }
      if (p.includes("/freezer/")) {
        Deno.writeTextFileSync(join(p, "freezer.state"), "THAWED");
        Deno.writeTextFileSync(join(p, "freezer.self_freezing"), "0");
      }
    },
    rmdir: (p) => Deno.removeSync(p, { recursive: true }),
    realPath: (p) => Deno.realPathSync(p),
    subdirs: (p) => [...Deno.readDirSync(p)].filter((e) => e.isDirectory).map((e) => e.name),
  };
}

Deno.test("ContainerCgroup.freeze (v1): FROZEN is reached and frozen() follows freezer.state", async () => {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-fakev1-" });
  try {
    const fs = fakeV1(root, { stuck: false });
    const cg = openCgroups({ root, fs, version: 1 }).createAt("/docker/x", {});
    assert.deepEqual(cg.paths, [join(root, "memory/docker/x"), join(root, "freezer/docker/x")]);
    await cg.freeze();
    Deno.writeTextFileSync(join(root, "freezer/docker/x/freezer.self_freezing"), "1");
    assert.equal(cg.frozen(), true);
    // FROZEN only because an ancestor is: not paused itself
    Deno.writeTextFileSync(join(root, "freezer/docker/x/freezer.self_freezing"), "0");
    assert.equal(cg.frozen(), false);
    cg.thaw();
    assert.equal(Deno.readTextFileSync(join(root, "freezer/docker/x/freezer.state")), "THAWED");
    await cg.destroy();
    assert.ok(fs.exists(join(root, "freezer/docker")), "the parent stays");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("ContainerCgroup.freeze (v1): a cgroup stuck FREEZING fails after bounded retries and is thawed", async () => {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-fakev1-" });
  try {
    const fs = fakeV1(root, { stuck: true });
    const cg = openCgroups({ root, fs, version: 1 }).createAt("/x", {});
    await assert.rejects(
      () => cg.freeze(),
      (e: unknown) => e instanceof CgroupError && /still FREEZING after 1000 tries/.test(e.message),
    );
    const states = fs.writes.filter((w) => w.startsWith("/freezer/x/freezer.state="));
    assert.equal(states.filter((w) => w.endsWith("=FROZEN")).length, 1000);
    assert.equal(states.at(-1), "/freezer/x/freezer.state=THAWED", "left thawed, not half-frozen");
    assert.equal(cg.frozen(), false);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("ContainerCgroup.freeze (v1): no freezer hierarchy is a clear error", async () => {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-fakev1-" });
  try {
    const fs = fakeV1(root, { stuck: false });
    Deno.removeSync(join(root, "freezer"), { recursive: true });
    const cg = openCgroups({ root, fs, version: 1 }).createAt("/x", {});
    await assert.rejects(() => cg.freeze(), /'freezer' hierarchy is not mounted/);
    assert.throws(() => cg.thaw(), /'freezer' hierarchy is not mounted/);
    assert.equal(cg.frozen(), false);
    await cg.destroy();
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
