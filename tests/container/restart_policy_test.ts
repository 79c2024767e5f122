/**
 * `--restart` policies under the detached monitor: on-failure:N restarts
 * exactly N times, always brings back a PID 1 killed from the host, and
 * neither undoes `stop`/`kill`; RestartCount and RestartPolicy in inspect.
 * Runs as root; withSeededRoot removes every container even on failure.
 */

import {
  assert,
  assertEquals,
  cli,
  ok,
  processesUsing,
  stateOf,
  until,
  withSeededRoot,
} from "./_lifecycle.ts";
import { assertMatch, assertThrows } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import { waitRunning } from "../run/_containers.ts";
import {
  parseRestartPolicy,
  restartDelayMs,
  shouldRestart,
} from "../../lib/container/restart_policy.ts";
import { UsageError } from "../../lib/errors.ts";

Deno.test("parseRestartPolicy/shouldRestart/restartDelayMs: docker's rules", () => {
  assertEquals(parseRestartPolicy(undefined), { Name: "no", MaximumRetryCount: 0 });
  assertEquals(parseRestartPolicy("on-failure:3"), { Name: "on-failure", MaximumRetryCount: 3 });
  assertEquals(parseRestartPolicy("unless-stopped").Name, "unless-stopped");
  for (const bad of ["sometimes", "always:3", "on-failure:x", "on-failure:1:2"]) {
    assertThrows(() => parseRestartPolicy(bad), UsageError);
  }
  const f3 = parseRestartPolicy("on-failure:3");
  assertEquals([0, 1, 2, 3].map((n) => shouldRestart(f3, 1, n, false)), [true, true, true, false]);
  assertEquals(shouldRestart(f3, 0, 0, false), false, "a clean exit is not a failure");
  assertEquals(shouldRestart(parseRestartPolicy("always"), 0, 99, false), true);
  assertEquals(
    shouldRestart(parseRestartPolicy("always"), 137, 0, true),
    false,
    "stopped by the user",
  );
  assertEquals(shouldRestart(parseRestartPolicy("no"), 1, 0, false), false);
  assertEquals([0, 100, 200, 40_000].map((d) => restartDelayMs(d, 50)), [100, 200, 400, 60_000]);
  assertEquals(restartDelayMs(3200, 10_000), 100, "a run of 10 s resets the backoff");
});

Deno.test("run --restart on-failure:3: exactly 3 restarts, RestartCount 3, then it stays exited", () =>
  withSeededRoot(async (root) => {
    const data = `${root}/data`;
    Deno.mkdirSync(data);
    await ok(root, [
      ...cli(
        `run -d --network none --name flaky --restart on-failure:3 -v ${data}:/d busybox sh -c`,
      ),
      "echo run >> /d/count; exit 3",
    ]);
    await until("the monitor to give up", () => processesUsing(root).length === 0, 30_000);
    const runs = Deno.readTextFileSync(`${data}/count`).trim().split("\n");
    assertEquals(runs.length, 4, "the first run and 3 restarts");
    const info = JSON.parse((await ok(root, cli("inspect flaky"))).stdout)[0];
    assertEquals(info.RestartCount, 3);
    assertEquals(info.HostConfig.RestartPolicy, { Name: "on-failure", MaximumRetryCount: 3 });
    assertEquals([info.State.Status, info.State.ExitCode, info.State.Restarting], [
      "exited",
      3,
      false,
    ]);
  }));

Deno.test("run --restart always: a PID 1 killed from the host comes back; stop and kill are not undone", () =>
  withSeededRoot(async (root) => {
    const id = (await ok(
      root,
      cli("run -d --network none --name keeper --restart always busybox sleep 300"),
    ))
      .stdout.trim();
    const first = (await waitRunning(root, "keeper")).pid;
    Deno.kill(first, "SIGKILL");
    await until("a new PID 1", () => {
      const s = stateOf(root, id);
      return s.status === "running" && (s.pid as number) > 0 && s.pid !== first;
    }, 20_000);
    assertEquals((await ok(root, cli("inspect -f {{.RestartCount}} keeper"))).stdout, "1\n");
    assertEquals((await ok(root, cli("ps --format {{.Names}}"))).stdout, "keeper\n");

    await ok(root, cli("stop -t 1 keeper"));
    await until("the monitor to end", () => processesUsing(root).length === 0, 20_000);
    assertEquals(stateOf(root, id).status, "exited", "stop is not undone by the policy");
    assertEquals((await ok(root, cli("ps -q"))).stdout, "");

    await ok(root, cli("start keeper"));
    assertEquals((await ok(root, cli("inspect -f {{.RestartCount}} keeper"))).stdout, "0\n");
    await ok(root, cli("kill keeper"));
    await until("the monitor to end", () => processesUsing(root).length === 0, 20_000);
    assertEquals(stateOf(root, id).status, "exited", "kill is not undone by the policy");
  }));

Deno.test("--restart: bad values, --rm, and -a without -d are refused with 125", () =>
  withSeededRoot(async (root) => {
    for (
      const [args, msg] of [
        ["create --restart sometimes busybox", /invalid restart policy: sometimes/],
        ["create --restart always:2 busybox", /maximum retry count cannot be used/],
        ["create --restart on-failure:x busybox", /must be an integer/],
        ["run -d --rm --restart always busybox", /Conflicting options: --restart and --rm/],
        ["run -a stdout --restart always busybox true", /--restart with -a needs -d/],
      ] as const
    ) {
      const r = await tsbox(root, cli(args));
      assertEquals(r.code, 125, `${args}: ${r.stderr}`);
      assertMatch(r.stderr, msg);
    }
    assert((await ok(root, cli("ps -aq"))).stdout === "", "nothing was created");
  }));

Deno.test("--restart in the foreground (docker's run and start -a): the first run's output and code are ours, the monitor restarts", () =>
  withSeededRoot(async (root) => {
    const script = "echo out-$RANDOM; echo err >&2; exit 3";
    const r = await tsbox(
      root,
      [
        "run",
        "--name",
        "fg",
        "--network",
        "none",
        "--restart",
        "on-failure:2",
        "busybox",
        "sh",
        "-c",
        script,
      ],
    );
    assertEquals(r.code, 3, r.stderr);
    assertMatch(r.stdout, /^out-\d+\n$/);
    assertEquals(r.stderr, "err\n");
    const id = (await ok(root, cli("inspect -f {{.Id}} fg"))).stdout.trim();
    // exactly two restarts follow, by the monitor, after we returned
    await until("two restarts", () => {
      const st = stateOf(root, id);
      return st.status === "exited" && processesUsing(root).length === 0;
    }, 20_000);
    assertEquals((await ok(root, cli("inspect -f {{.RestartCount}} fg"))).stdout.trim(), "2");
    const logs = await ok(root, cli("logs fg"));
    assertEquals(logs.stdout.split("\n").filter((l) => l.startsWith("out-")).length, 3);
    // start -a of it: attached again, its code again, restarted again (the count goes on)
    const again = await tsbox(root, cli("start -a fg"));
    assertEquals([again.code, again.stderr], [3, "err\n"]);
    await until("the monitor to end", () => processesUsing(root).length === 0, 20_000);
    // docker: a manual start resets the count, and the policy restarts it twice more
    assertEquals((await ok(root, cli("inspect -f {{.RestartCount}} fg"))).stdout.trim(), "2");
    const after = await ok(root, cli("logs fg"));
    assertEquals(after.stdout.split("\n").filter((l) => l.startsWith("out-")).length, 6);
  }));

Deno.test("system boot: starts always and unless-stopped containers that are down (not user-stopped unless-stopped)", () =>
  withSeededRoot(async (root) => {
    const run = async (name: string, policy: string) =>
      (await ok(
        root,
        cli(`run -d --network none --name ${name} --restart ${policy} busybox sleep 300`),
      ))
        .stdout.trim();
    const crashed = await run("crashed", "always");
    const stopped = await run("stopped-always", "always");
    const kept = await run("user-stopped", "unless-stopped");
    await ok(root, cli("run -d --network none --name plain busybox sleep 300"));
    for (const n of ["crashed", "stopped-always", "user-stopped", "plain"]) {
      await waitRunning(root, n);
    }
    await ok(root, cli("stop -t 1 stopped-always user-stopped"));
    // a "reboot" for crashed: its supervisor dies, taking PID 1 with it (PDEATHSIG)
    const monitor = stateOf(root, crashed).monitorPid as number;
    Deno.kill(monitor, "SIGKILL");
    await until(
      "crashed to be down",
      async () =>
        (await ok(root, cli("ps -a --filter name=crashed --format {{.State}}"))).stdout ===
          "exited\n",
      20_000,
    );
    const boot = await ok(root, cli("system boot"));
    assertEquals(boot.stdout.split("\n").filter(Boolean).sort(), ["crashed", "stopped-always"]);
    assertEquals(stateOf(root, crashed).status, "running");
    assertEquals(
      stateOf(root, stopped).status,
      "running",
      "always: a boot starts even a stopped one",
    );
    assertEquals(
      stateOf(root, kept).status,
      "exited",
      "unless-stopped: stopped by the user stays down",
    );
    assertEquals((await ok(root, cli("system boot"))).stdout, "", "nothing left to start");
  }));
