/**
 * The kernel is the truth: after the monitor of a detached container or a
 * foreground `tsbox run` is SIGKILLed, the container dies with it
 * (PR_SET_PDEATHSIG), `ps` shows it exited, and `rm -f` leaves no
 * processes, cgroups or mounts. Requires root.
 */

import { tsboxArgv } from "../helpers/tsbox.ts";
import { isSameProcess } from "../../lib/container/proc.ts";
import {
  assert,
  assertEquals,
  assertNoLeaks,
  cgroupsOf,
  containerIds,
  ok,
  stateOf,
  until,
  withSeededRoot,
} from "./_lifecycle.ts";

Deno.test("monitor SIGKILLed: the container dies, ps shows it exited, rm -f cleans all", async () => {
  await withSeededRoot(async (root) => {
    const id = (await ok(root, [
      "run",
      "-d",
      "--network",
      "none",
      "-m",
      "64m",
      "--name",
      "orphan",
      "busybox",
      "sleep",
      "300",
    ])).stdout.trim();
    const st = stateOf(root, id);
    const pid = st.pid as number;
    const monitor = st.monitorPid as number;
    assert(isSameProcess(pid, undefined) && isSameProcess(monitor, undefined));
    assertEquals(
      (await ok(root, ["ps", "--format", "{{.Names}} {{.State}}"])).stdout,
      "orphan running\n",
    );
    Deno.kill(monitor, "SIGKILL");
    await until("the container to die with its monitor", () => !isSameProcess(pid, undefined));
    assertEquals((await ok(root, ["ps", "-q"])).stdout, "");
    const ps =
      (await ok(root, ["ps", "-a", "--format", "{{.Names}} {{.State}} {{.Status}}"])).stdout;
    assert(ps.startsWith("orphan exited Exited (255) "), ps);
    assert(cgroupsOf(id).length > 0, "the cgroup is expected to survive the monitor");
    assertEquals((await ok(root, ["rm", "orphan"])).stdout, "orphan\n");
    assertNoLeaks(root, [id], [pid, monitor]);
  });
});

/** SIGKILL `child` unless it already exited (a failed assertion must not leave it). */
function killQuietly(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch (err) {
    // already dead: the test killed it on its normal path
    if (!(err instanceof TypeError)) throw err;
  }
}

const FG_RUN = "run --network none --name fg busybox sleep 300".split(" ");

Deno.test("foreground run SIGKILLed: the container dies with it and rm -f cleans all", async () => {
  await withSeededRoot(async (root) => {
    const fg = new Deno.Command(Deno.execPath(), {
      args: tsboxArgv(root, [...FG_RUN]),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let pid = 0;
    let id = "";
    try {
      await until("the foreground container to run", () => {
        for (const c of containerIds(root)) {
          let s: Record<string, unknown>;
          try {
            s = stateOf(root, c);
          } catch (err) {
            if (err instanceof Deno.errors.NotFound) continue; // being created
            throw err;
          }
          if (s.status === "running" && (s.pid as number) > 0) [id, pid] = [c, s.pid as number];
        }
        return pid > 0;
      });
      fg.kill("SIGKILL");
      await fg.status;
      await until("the container to die with tsbox", () => !isSameProcess(pid, undefined));
      assertEquals(
        (await ok(root, ["ps", "-a", "--format", "{{.Names}} {{.State}}"])).stdout,
        "fg exited\n",
      );
      await ok(root, ["rm", "-f", "fg"]);
      assertEquals(containerIds(root), []);
      assertNoLeaks(root, [id], [pid]);
    } finally {
      killQuietly(fg);
    }
  });
});
