/**
 * A detached container whose log fills the disk keeps running: its monitor
 * drops what it cannot write, records the exit code and the log error,
 * and tears the container down. Requires root (tmpfs root).
 */

import { assert, assertEquals, assertNoLeaks, cgroupsOf, cli, ok, stateOf } from "./_lifecycle.ts";
import { withTmpfsRoot } from "./_fault.ts";

Deno.test("monitor: a log that fills the disk neither kills the monitor nor loses the exit", async () => {
  await withTmpfsRoot(16, async (root) => {
    const id = (await ok(
      root,
      cli(
        // json-file by name: tsbox's monitor (conmon_test.ts has conmon's full disk)
        "run -d --network none -m 64m --name chatty --log-driver json-file busybox sh -c",
        'head -c 40000000 /dev/zero | tr "\\\\0" x; echo; echo done; exit 7',
      ),
    )).stdout.trim();
    const monitor = stateOf(root, id).monitorPid as number;
    assertEquals((await ok(root, ["wait", id])).stdout, "7\n");
    const ps = (await ok(root, cli("ps -a --format {{.Status}}"))).stdout;
    assert(ps.startsWith("Exited (7) "), ps);
    const st = stateOf(root, id);
    assert(String(st.logError).includes("No space left on device"), JSON.stringify(st));
    assertEquals(cgroupsOf(id), []);
    const logs = await ok(root, ["logs", "--tail", "1", id]);
    assert(logs.stdout.length > 0, "the log holds what fit");
    await ok(root, ["rm", id]);
    assertNoLeaks(root, [id], [monitor]);
  });
});
