/**
 * `tsbox events` through the CLI: the events of a run in docker's order,
 * `--filter event=`, `--filter container=`, `--format` templates and json,
 * `--since`/`--until` (past events, and the command exits once --until has
 * passed), and following the log while containers change. Requires root.
 */

import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { DENO, tsbox, tsboxArgv } from "../helpers/tsbox.ts";
import { assertNoLeaks, containerIds, ok, withSeededRoot } from "../container/_lifecycle.ts";

const NONE = ["--network", "none"];
const NAME_FMT = "{{.Status}} {{.Actor.Attributes.name}}";

/** Unix seconds now, with a fraction (a --since/--until value). */
const nowArg = () => (Date.now() / 1000).toFixed(3);

/** Past events between `since` and now. */
async function past(root: string, since: string, extra: string[] = []): Promise<string[]> {
  const r = await ok(root, ["events", "--since", since, "--until", nowArg(), ...extra]);
  return r.stdout.split("\n").filter(Boolean);
}

Deno.test("events: a run's create, start, die, destroy in order; --filter event=die; --format", async () => {
  await withSeededRoot(async (root) => {
    const t0 = nowArg();
    await ok(root, [
      "run",
      "--rm",
      ...NONE,
      "--name",
      "ev1",
      "-l",
      "team=a",
      "busybox",
      "sh",
      "-c",
      "exit 3",
    ], 3);
    assertEquals(await past(root, t0, ["--format", NAME_FMT]), [
      "create ev1",
      "start ev1",
      "die ev1",
      "destroy ev1",
    ]);
    assertEquals(
      await past(root, t0, [
        "--filter",
        "event=die",
        "--format",
        "{{.Status}} {{.Actor.Attributes.exitCode}} {{.Actor.Attributes.team}}",
      ]),
      ["die 3 a"],
    );
    // docker's default line: time, type, action, id, sorted attributes
    const [line] = await past(root, t0, ["-f", "event=create"]);
    assertMatch(
      line,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container create [0-9a-f]{64} \(image=busybox, name=ev1, team=a\)$/,
    );
    const [json] = await past(root, t0, ["--filter", "event=start", "--format", "json"]);
    const ev = JSON.parse(json);
    assertEquals(
      [ev.status, ev.Type, ev.Action, ev.from, ev.Actor.Attributes.name, ev.scope],
      ["start", "container", "start", "busybox", "ev1", "local"],
    );
    assertEquals(ev.id, ev.Actor.ID);
    assert(Math.abs(ev.time - Date.now() / 1000) < 600, `time ${ev.time}`);
    const none = await past(root, t0, ["--filter", "container=nosuch"]);
    assertEquals(none, []);
    const bad = await tsbox(root, ["events", "--filter", "bogus=1", "--until", nowArg()]);
    assertEquals([bad.code, bad.stderr.trim()], [1, "tsbox: invalid filter 'bogus'"]);
  });
});

Deno.test("events: stop logs kill (signal 15), die, stop; kill, rename, pause, unpause", async () => {
  await withSeededRoot(async (root) => {
    const t0 = nowArg();
    const script = 'trap "exit 143" TERM; while :; do sleep 0.1; done';
    const id =
      (await ok(root, ["run", "-d", ...NONE, "--name", "ev2", "busybox", "sh", "-c", script]))
        .stdout.trim();
    await ok(root, ["pause", "ev2"]);
    await ok(root, ["unpause", "ev2"]);
    await ok(root, ["rename", "ev2", "ev3"]);
    await ok(root, ["stop", "-t", "5", "ev3"]);
    await ok(root, ["start", "ev3"]);
    await ok(root, ["kill", "-s", "KILL", "ev3"]);
    assertEquals((await ok(root, ["wait", "ev3"])).stdout, "137\n");
    const only = `container=${id.slice(0, 12)}`;
    const evs = await past(root, t0, ["--filter", only, "--format", NAME_FMT]);
    assertEquals(evs, [
      "create ev2",
      "start ev2",
      "pause ev2",
      "unpause ev2",
      "rename ev3",
      "kill ev3",
      "die ev3",
      "stop ev3",
      "start ev3",
      "kill ev3",
      "die ev3",
    ]);
    const attr = (key: string) => ["--format", `{{.Actor.Attributes.${key}}}`];
    assertEquals(await past(root, t0, ["-f", only, "-f", "event=kill", ...attr("signal")]), [
      "15",
      "9",
    ]);
    assertEquals(await past(root, t0, ["-f", only, "-f", "event=die", ...attr("exitCode")]), [
      "143",
      "137",
    ]);
    assertEquals(await past(root, t0, ["-f", "event=rename", ...attr("oldName")]), ["/ev2"]);
    await ok(root, ["rm", id]);
    // rm -f of a running one: its supervisor finds no record to log the exit in; rm logs it
    const t1 = nowArg();
    const other =
      (await ok(root, ["run", "-d", ...NONE, "--name", "ev6", "busybox", "sleep", "300"]))
        .stdout.trim();
    await ok(root, ["rm", "-f", "ev6"]);
    assertEquals(await past(root, t1, ["--format", NAME_FMT]), [
      "create ev6",
      "start ev6",
      "kill ev6",
      "die ev6",
      "destroy ev6",
    ]);
    assertNoLeaks(root, [id, other]);
  });
});

Deno.test("events: follows the log until --until has passed, then exits 0", async () => {
  await withSeededRoot(async (root) => {
    const t0 = nowArg();
    await ok(root, ["create", ...NONE, "--name", "ev4", "busybox", "true"]);
    // far enough ahead for the container below to run; exits by itself afterwards
    const until = ((Date.now() + 10_000) / 1000).toFixed(3);
    const child = new Deno.Command(DENO, {
      args: tsboxArgv(root, ["events", "--since", t0, "--until", until, "--format", NAME_FMT]),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines: string[] = [];
    const reader = (async () => {
      let rest = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop()!;
        lines.push(...parts);
      }
    })();
    try {
      // the past event first: from then on the command is following the log
      for (let i = 0; !lines.includes("create ev4"); i++) {
        assert(i < 300, `events printed no past event: ${lines}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await ok(root, ["start", "-a", "ev4"]);
      await ok(root, ["rm", "ev4"]);
      const status = await child.status; // --until passes: it exits by itself
      await reader;
      assertEquals(status.code, 0);
      assertEquals(lines, ["create ev4", "start ev4", "die ev4", "destroy ev4"]);
    } finally {
      killIfRunning(child);
      await child.status;
      await child.stderr.cancel();
    }
    assertEquals(containerIds(root), []);
  });
});

Deno.test("events --until in the past: prints and exits at once; bad times are refused", async () => {
  await withSeededRoot(async (root) => {
    const t0 = nowArg();
    await ok(root, ["create", ...NONE, "--name", "ev5", "busybox"]);
    const until = nowArg();
    await ok(root, ["rm", "ev5"]);
    assertEquals(await past(root, t0, ["--until", until, "--format", NAME_FMT]), ["create ev5"]);
    const bad = await tsbox(root, ["events", "--since", "yesterday-ish"]);
    assertEquals(bad.code, 1);
    assertEquals(bad.stderr.split("\n")[0], "tsbox: invalid value for --since: yesterday-ish");
  });
});

Deno.test("events: health_status events from the monitor's checks", async () => {
  await withSeededRoot(async (root) => {
    const t0 = nowArg();
    const flags = [
      "--health-cmd",
      "test -e /tmp/ok",
      "--health-interval",
      "200ms",
      "--health-retries",
      "1",
    ];
    await ok(root, ["run", "-d", ...NONE, "--name", "ev7", ...flags, "busybox", "sleep", "300"]);
    const statuses =
      async () => (await past(root, t0, ["-f", "event=health_status", "--format", "{{.Status}}"]));
    for (let i = 0; !(await statuses()).includes("health_status: unhealthy"); i++) {
      assert(i < 100, "no unhealthy event");
      await new Promise((r) => setTimeout(r, 100));
    }
    await ok(root, ["exec", "ev7", "touch", "/tmp/ok"]);
    for (let i = 0; !(await statuses()).includes("health_status: healthy"); i++) {
      assert(i < 100, "no healthy event");
      await new Promise((r) => setTimeout(r, 100));
    }
    assertEquals((await statuses()).slice(0, 2), [
      "health_status: unhealthy",
      "health_status: healthy",
    ]);
    await ok(root, ["rm", "-f", "ev7"]);
  });
});

/** SIGKILL `child` unless it has exited already. */
function killIfRunning(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch (err) {
    if (!(err instanceof TypeError)) throw err; // it exited by itself
  }
}
