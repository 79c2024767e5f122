/**
 * `pause` / `unpause` through the cgroup freezer: the kernel's freezer
 * state, ps/inspect "paused", exec refused while paused, and kill, stop and
 * rm -f still working on a paused container (SIGKILL then thaw, as docker).
 * Runs as root; no cgroup is left behind.
 */

import {
  assertEquals,
  assertNoLeaks,
  cgroupsOf,
  cli,
  ok,
  stateOf,
  withSeededRoot,
} from "./_lifecycle.ts";
import { assertMatch } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import { waitRunning } from "../run/_containers.ts";

/** The kernel's view: the freezer state of the container's cgroup (v1 or v2). */
function frozen(id: string): boolean {
  for (const p of [`/sys/fs/cgroup/freezer/tsbox-${id}/freezer.state`]) {
    try {
      return Deno.readTextFileSync(p).trim() === "FROZEN";
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  const v2 = `/sys/fs/cgroup/tsbox-${id}/cgroup.events`;
  return /^frozen 1$/m.test(Deno.readTextFileSync(v2));
}

Deno.test("pause/unpause: frozen in the kernel, shown as paused, exec refused; errors as docker's", () =>
  withSeededRoot(async (root) => {
    const id = (await ok(root, cli("run -d --network none --name pz busybox sleep 300"))).stdout
      .trim();
    await waitRunning(root, "pz");
    assertEquals((await ok(root, cli("pause pz"))).stdout, "pz\n");
    assertEquals(frozen(id), true);
    assertEquals(
      (await ok(root, cli("ps --format {{.State}}|{{.Status}}"))).stdout.split("|")[0],
      "paused",
    );
    assertMatch((await ok(root, cli("ps --format {{.Status}}"))).stdout, /^Up .* \(Paused\)\n$/);
    assertEquals(
      (await ok(root, cli("inspect -f {{.State.Status}}/{{.State.Paused}} pz"))).stdout,
      "paused/true\n",
    );
    assertEquals(
      (await ok(root, cli("ps -q --filter status=paused"))).stdout,
      `${id.slice(0, 12)}\n`,
    );
    const ex = await tsbox(root, cli("exec pz true"));
    assertEquals(ex.code, 1);
    assertMatch(ex.stderr, /is paused, unpause the container before exec/);
    const again = await tsbox(root, cli("pause pz"));
    assertEquals([again.code, again.stderr.trim()], [
      1,
      "Error response from daemon: Container pz is already paused",
    ]);

    assertEquals((await ok(root, cli("container unpause pz"))).stdout, "pz\n");
    assertEquals(frozen(id), false);
    assertEquals(
      (await ok(root, cli("inspect -f {{.State.Status}}/{{.State.Paused}} pz"))).stdout,
      "running/false\n",
    );
    await ok(root, cli("exec pz true"));
    const not = await tsbox(root, cli("unpause pz"));
    assertEquals([not.code, not.stderr.trim()], [
      1,
      "Error response from daemon: Container pz is not paused",
    ]);
    const stopped = await tsbox(root, cli("pause nosuch"));
    assertEquals(stopped.code, 1);
  }));

Deno.test("kill, stop and rm -f of a paused container: it dies (SIGKILL, then thaw), nothing left", () =>
  withSeededRoot(async (root) => {
    const ids: string[] = [];
    const pids: number[] = [];
    for (const n of ["pk", "ps1", "pr"]) {
      ids.push(
        (await ok(root, cli(`run -d --network none --name ${n} busybox sleep 300`))).stdout.trim(),
      );
      pids.push((await waitRunning(root, n)).pid);
      await ok(root, cli(`pause ${n}`));
    }
    await ok(root, cli("kill pk"));
    await ok(root, cli("wait pk"));
    assertEquals((await ok(root, cli("inspect -f {{.State.ExitCode}} pk"))).stdout, "137\n");
    await ok(root, cli("stop -t 1 ps1"));
    assertEquals(stateOf(root, ids[1]).status, "exited");
    await ok(root, cli("rm -f pr pk ps1"));
    for (const id of ids) assertEquals(cgroupsOf(id), [], "freezer and other cgroups removed");
    assertNoLeaks(root, ids, pids);
  }));
