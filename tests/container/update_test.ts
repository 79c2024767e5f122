/**
 * `update`: limits written to the live cgroup of a running container (the
 * kernel's files say so), kept for the next start of a stopped one, and
 * the restart policy changed. Runs as root; containers removed after.
 */

import { assertEquals, cli, ok, withSeededRoot } from "./_lifecycle.ts";
import { assertMatch } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import { waitRunning } from "../run/_containers.ts";

/** A cgroup control file of container `id` (v1 hierarchy `ctl`, or the v2 dir). */
function cgroupFile(id: string, v1: [string, string], v2: string): string {
  for (
    const p of [`/sys/fs/cgroup/${v1[0]}/tsbox-${id}/${v1[1]}`, `/sys/fs/cgroup/tsbox-${id}/${v2}`]
  ) {
    try {
      return Deno.readTextFileSync(p).trim();
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  throw new Error(`no cgroup file for ${id}`);
}

const memLimit = (id: string) => cgroupFile(id, ["memory", "memory.limit_in_bytes"], "memory.max");
const pidsMax = (id: string) => cgroupFile(id, ["pids", "pids.max"], "pids.max");

Deno.test("update: a running container's cgroup gets the new limits; inspect and restart policy follow", () =>
  withSeededRoot(async (root) => {
    const id = (await ok(root, cli("run -d --network none --name live -m 32m busybox sleep 300")))
      .stdout.trim();
    await waitRunning(root, "live");
    assertEquals(memLimit(id), String(32 * 1024 * 1024));
    assertEquals(
      (await ok(root, cli("update -m 256m --pids-limit 50 --restart on-failure:2 live"))).stdout,
      "live\n",
    );
    assertEquals(memLimit(id), String(256 * 1024 * 1024), "raised above the old memory+swap limit");
    assertEquals(pidsMax(id), "50");
    const hc = JSON.parse(
      (await ok(root, cli("inspect -f", "{{json .HostConfig}}", "live"))).stdout,
    );
    assertEquals([hc.Memory, hc.PidsLimit], [256 * 1024 * 1024, 50]);
    assertEquals(hc.RestartPolicy, { Name: "on-failure", MaximumRetryCount: 2 });
    await ok(root, cli("update -m 16m live"));
    assertEquals(memLimit(id), String(16 * 1024 * 1024));

    const none = await tsbox(root, cli("update live"));
    assertEquals(none.code, 1);
    assertMatch(none.stderr, /provide one or more flags/);
    const missing = await tsbox(root, cli("update -m 64m nosuch"));
    assertEquals(missing.code, 1);
  }));

Deno.test("update: a stopped container keeps the limits for its next start", () =>
  withSeededRoot(async (root) => {
    const id = (await ok(
      root,
      [...cli("create --network none --name later --device-cgroup-rule", "c 42:7 rm"), "busybox"]
        .concat("sleep", "300"),
    )).stdout.trim();
    await ok(root, cli("update --pids-limit 42 -m 48m later"));
    await ok(root, cli("start later"));
    await waitRunning(root, "later");
    assertEquals(pidsMax(id), "42");
    assertEquals(memLimit(id), String(48 * 1024 * 1024));
    // the device rules of the security flags are kept through the update (v1: devices.list)
    const rules = `/sys/fs/cgroup/devices/tsbox-${id}/devices.list`;
    let list: string | undefined;
    try {
      list = Deno.readTextFileSync(rules);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // v2: a BPF program, not readable
    }
    if (list !== undefined) assertMatch(list, /^c 42:7 rm$/m);
  }));
