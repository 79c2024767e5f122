/**
 * The v2 freezer, pids and cgroup.kill on the real kernel: on a pure v2
 * host the mount root, on this hybrid host the controller-less cgroup2
 * at /sys/fs/cgroup/unified (the freezer and cgroup.kill are core v2
 * files, no controller needed). Needs root. Cleans up in finally.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type ContainerCgroup, openCgroups } from "../../lib/cgroup/mod.ts";
import { kill } from "../../ffi/process.ts";
import { bpfCgroupDevices } from "../../ffi/bpf.ts";
import { type Gated, gated, IS_ROOT } from "./_real.ts";

const exists = (p: string) => {
  try {
    Deno.statSync(p);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
};
const V2_ROOT = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"].find((r) =>
  exists(join(r, "cgroup.controllers"))
);
const ignore = !IS_ROOT || V2_ROOT === undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hex = (n: number) =>
  [...crypto.getRandomValues(new Uint8Array(n))].map((x) => x.toString(16).padStart(2, "0"))
    .join("");

/** Poll `ok` until true, at most ~10 s. */
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (ok()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

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

/** `/<tsbox-ocitest-…>/<id>` on the v2 mount; always killed, destroyed, parent removed. */
async function withV2(
  fn: (cg: ContainerCgroup, run: (s: string) => Promise<Gated>) => Promise<void>,
) {
  const d = openCgroups({ root: V2_ROOT, version: 2, bpf: bpfCgroupDevices });
  const parent = `tsbox-ocitest-${hex(6)}`;
  const cg = d.createAt(`/${parent}/${hex(32)}`, {});
  const shells: Gated[] = [];
  try {
    await fn(cg, async (script) => {
      const g = gated(script);
      shells.push(g);
      cg.addProcess(g.child.pid);
      await g.release();
      return g;
    });
  } finally {
    await cg.destroy({ kill });
    for (const g of shells) await g.kill();
    for (const g of shells) await g.output;
    Deno.removeSync(join(V2_ROOT!, parent));
  }
}

Deno.test({
  name:
    "ContainerCgroup.freeze (v2): waits for cgroup.events frozen 1; the shell stops, then goes on",
  ignore,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "tsbox-freeze2-" });
    const inside = join(dir, "inside");
    const clock = join(dir, "clock");
    const outside = gated(counter(clock));
    try {
      await outside.release();
      await withV2(async (cg, run) => {
        await run(counter(inside));
        await until("the shell to count", () => count(inside) >= 2);
        await cg.freeze();
        // the kernel freezes asynchronously: freeze() returned only once it was done
        assert.match(Deno.readTextFileSync(join(cg.paths[0], "cgroup.events")), /^frozen 1$/m);
        assert.equal(cg.frozen(), true);
        const held = count(inside);
        const t0 = count(clock);
        await until("the clock to tick 10 times", () => count(clock) >= t0 + 10);
        assert.equal(count(inside), held, "a frozen shell must not count");
        cg.thaw();
        assert.equal(cg.frozen(), false);
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
  name:
    "ContainerCgroup.destroy (v2): a frozen cgroup with a nested sub-cgroup is killed and removed",
  ignore,
  fn: () =>
    withV2(async (cg, run) => {
      const g = await run("/bin/busybox sleep 1000 & /bin/busybox sleep 1000 & wait");
      await until("two sleeps", () => cg.pids().length === 3);
      const [moved] = cg.pids().filter((p) => p !== g.child.pid);
      Deno.mkdirSync(join(cg.paths[0], "sub"));
      Deno.writeTextFileSync(join(cg.paths[0], "sub", "cgroup.procs"), String(moved));
      assert.ok(cg.pids().includes(moved));
      await cg.freeze();
      await cg.destroy({ kill });
      assert.equal((await g.output).signal, "SIGKILL");
      assert.deepEqual(cg.pids(), []);
      assert.equal(exists(cg.paths[0]), false);
    }),
});
