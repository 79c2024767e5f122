/**
 * A truncated container.json or state.json breaks nothing but its own
 * container: `ps -a` lists it as corrupt with the file's path, other
 * commands skip it with a warning naming the file, and `rm -f ID` or a
 * prune tears it down by id. Requires root.
 */

import { tsbox } from "../helpers/tsbox.ts";
import {
  assert,
  assertEquals,
  assertNoLeaks,
  cgroupsOf,
  cli,
  ok,
  stateOf,
  until,
  withSeededRoot,
} from "./_lifecycle.ts";
import { isSameProcess } from "../../lib/container/proc.ts";
import { names } from "./_fault.ts";

/** Cut `file` to its first `n` bytes (what a crash or full disk leaves). */
function truncate(file: string, n: number): void {
  Deno.truncateSync(file, n);
}

Deno.test("store: a truncated container.json is listed, named, skipped, and removed by rm -f ID", async () => {
  await withSeededRoot(async (root) => {
    const good = (await ok(root, cli("create --network none --name good busybox true"))).stdout
      .trim();
    const bad = (await ok(root, cli("create --network none --name bad busybox true"))).stdout
      .trim();
    const file = `${root}/containers/${bad}/container.json`;
    truncate(file, 100);
    const ps = await ok(root, cli("ps -a --no-trunc --format {{.ID}}_{{.Names}}_{{.Status}}"));
    const lines = ps.stdout.trim().split("\n");
    assertEquals(lines.length, 2, ps.stdout);
    assert(lines.includes(`${good}_good_Created`), ps.stdout);
    const row = lines.find((l) => l.startsWith(bad))!;
    assert(row?.includes(`Corrupt record ${file}`), ps.stdout);
    const insp = await tsbox(root, ["inspect", bad]);
    assertEquals(insp.code, 1, insp.stderr);
    assert(insp.stderr.includes(file) && insp.stderr.split("\n").length <= 3, insp.stderr);
    // the others work, with one warning naming the file
    const run = await ok(root, cli("run --rm --network none busybox echo hi"));
    assertEquals(run.stdout, "hi\n");
    assert(run.stderr.includes(`warning: skipping container ${bad.slice(0, 12)}`), run.stderr);
    assert(run.stderr.includes(file), run.stderr);
    await ok(root, cli("start good"));
    await ok(root, cli("inspect good"));
    await ok(root, cli("volume ls"));
    assertEquals((await ok(root, ["rm", "-f", bad])).stdout, `${bad}\n`);
    assertEquals(names(`${root}/containers`), [good]);
    const after = await ok(root, cli("ps -a"));
    assertEquals(after.stderr, "");
    assertNoLeaks(root, [good, bad]);
  });
});

Deno.test("store: a truncated state.json is torn down by container prune (cgroup too)", async () => {
  await withSeededRoot(async (root) => {
    const id = (await ok(root, cli("run -d --network none -m 64m --name st busybox sleep 300")))
      .stdout.trim();
    // a dead monitor leaves the cgroup: only a teardown by id can find it now
    const st = stateOf(root, id);
    Deno.kill(st.monitorPid as number, "SIGKILL");
    await until("the container to die", () => !isSameProcess(st.pid as number, undefined));
    assert(cgroupsOf(id).length > 0);
    const other = (await ok(root, cli("create --network none busybox true"))).stdout.trim();
    const file = `${root}/containers/${id}/state.json`;
    truncate(file, 20);
    const ps = (await ok(root, cli("ps -a --no-trunc --format {{.ID}}_{{.State}}"))).stdout;
    assert(ps.includes(`${id}_dead`), ps);
    const pruned = await ok(root, cli("container prune -f"));
    assert(pruned.stdout.includes(id) && pruned.stdout.includes(other), pruned.stdout);
    assertEquals(names(`${root}/containers`), []);
    assertNoLeaks(root, [id, other]);
  });
});

Deno.test("store: a container dir with garbage container.json goes with system prune", async () => {
  await withSeededRoot(async (root) => {
    const id = (await ok(root, cli("create --network none busybox true"))).stdout.trim();
    Deno.writeTextFileSync(`${root}/containers/${id}/container.json`, "\u0000\u0000garbage");
    await ok(root, cli("system prune -f"));
    assertEquals(names(`${root}/containers`), []);
  });
});
