/**
 * run/create options docker users script with: `--stop-signal` and
 * `--stop-timeout` (what `stop` sends and how long it waits), `--cidfile`,
 * and the sizes of `ps -s` / `inspect -s`. Runs as root; every container
 * is removed by withSeededRoot even when a check fails.
 */

import {
  assert,
  assertEquals,
  assertNoLeaks,
  cli,
  ok,
  stateOf,
  withSeededRoot,
} from "./_lifecycle.ts";
import { assertMatch } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import { waitRunning } from "../run/_containers.ts";

const RUN_D = "run -d --network none";

Deno.test("run --stop-signal: stop sends it (the trap's exit code shows); inspect shows it", () =>
  withSeededRoot(async (root) => {
    const script = 'trap "exit 42" USR1; trap "" TERM; while true; do sleep 0.1; done';
    const id = (await ok(root, cli(`${RUN_D} --name sig --stop-signal USR1 busybox sh -c`, script)))
      .stdout.trim();
    await waitRunning(root, "sig");
    const pid = stateOf(root, id).pid as number;
    assertEquals((await ok(root, cli("inspect -f {{.Config.StopSignal}} sig"))).stdout, "USR1\n");
    await ok(root, cli("stop sig"));
    assertEquals((await ok(root, cli("inspect -f {{.State.ExitCode}} sig"))).stdout, "42\n");
    const bad = await tsbox(root, cli("create --stop-signal BOGUS busybox"));
    assertEquals(bad.code, 125);
    assertMatch(bad.stderr, /invalid signal: BOGUS/);
    await ok(root, cli("rm sig"));
    assertNoLeaks(root, [id], [pid]);
  }));

Deno.test("run --stop-timeout: stop without -t waits that long, then SIGKILL (137)", () =>
  withSeededRoot(async (root) => {
    const script = 'trap "" TERM; while true; do sleep 0.1; done';
    const id = (await ok(root, cli(`${RUN_D} --name slow --stop-timeout 1 busybox sh -c`, script)))
      .stdout.trim();
    await waitRunning(root, "slow");
    assertEquals((await ok(root, cli("inspect -f {{.Config.StopTimeout}} slow"))).stdout, "1\n");
    // docker's default of 10 s would outlast this bound; 1 s does not
    const r = await tsbox(root, cli("stop slow"), { timeoutMs: 8_000 });
    assertEquals(r.code, 0, r.stderr);
    assertEquals((await ok(root, cli("inspect -f {{.State.ExitCode}} slow"))).stdout, "137\n");
    const bad = await tsbox(root, cli("create --stop-timeout soon busybox"));
    assertEquals(bad.code, 125);
    await ok(root, cli("rm slow"));
    assertNoLeaks(root, [id]);
  }));

Deno.test("create/run --cidfile: the id is written; an existing file is refused before creating", () =>
  withSeededRoot(async (root) => {
    const file = `${root}/cid`;
    const id = (await ok(root, cli(`create --cidfile ${file} busybox`))).stdout.trim();
    assertEquals(Deno.readTextFileSync(file), id);
    const again = await tsbox(root, cli(`run --rm --network none --cidfile ${file} busybox true`));
    assertEquals(again.code, 125);
    assertMatch(again.stderr, /Container ID file found/);
    assertEquals(
      (await ok(root, cli("ps -aq --no-trunc"))).stdout,
      `${id}\n`,
      "nothing else created",
    );
  }));

Deno.test("ps -s and inspect -s: the writable layer's size and the root filesystem's", () =>
  withSeededRoot(async (root) => {
    await ok(
      root,
      cli("run --network none --name writer busybox sh -c", "head -c 20000 /dev/zero > /blob"),
    );
    const info = JSON.parse((await ok(root, cli("inspect -s writer"))).stdout)[0];
    assert(info.SizeRw >= 20000 && info.SizeRw < 100000, `SizeRw ${info.SizeRw}`);
    assert(
      info.SizeRootFs > info.SizeRw + 100000,
      `SizeRootFs ${info.SizeRootFs} includes the image`,
    );
    const plain = JSON.parse((await ok(root, cli("inspect writer"))).stdout)[0];
    assertEquals("SizeRw" in plain, false);
    const ps = (await ok(root, cli("ps -a -s"))).stdout.split("\n");
    assertMatch(ps[0], /NAMES +SIZE$/);
    assertMatch(ps[1], /writer +2\dkB \(virtual \d+(\.\d+)?MB\)$/);
  }));

Deno.test("restart: stops and starts again (new PID 1, same container); starts a created one", () =>
  withSeededRoot(async (root) => {
    const script = 'trap "exit 0" TERM; while true; do sleep 0.1; done';
    const id = (await ok(root, cli(`${RUN_D} --name again busybox sh -c`, script))).stdout.trim();
    await waitRunning(root, "again");
    const before = stateOf(root, id).pid as number;
    assertEquals((await ok(root, cli("restart again"))).stdout, "again\n");
    const after = stateOf(root, id);
    assertEquals(after.status, "running");
    assert(after.pid !== before && (after.pid as number) > 0, `new PID 1: ${after.pid}`);
    assertEquals((await ok(root, cli("ps -q --no-trunc"))).stdout, `${id}\n`);

    const fresh = (await ok(root, cli("create --network none --name fresh busybox sleep 60")))
      .stdout.trim();
    await ok(root, cli("container restart -t 0 fresh"));
    assertEquals(stateOf(root, fresh).status, "running");

    const rm = (await ok(root, cli(`${RUN_D} --rm --name gone busybox sleep 60`))).stdout.trim();
    const refused = await tsbox(root, cli("restart gone"));
    assertEquals(refused.code, 1);
    assertMatch(refused.stderr, /started with --rm/);
    assertEquals(stateOf(root, rm).status, "running", "a refused restart leaves it running");
    const pids = [after.pid as number, stateOf(root, fresh).pid as number];
    await ok(root, cli("rm -f again fresh gone"));
    assertNoLeaks(root, [id, fresh, rm], [before, ...pids]);
  }));

Deno.test("run --volumes-from: the other container's volumes and binds, same paths, :ro/:rw, own -v wins", () =>
  withSeededRoot(async (root) => {
    const host = `${root}/hostdir`;
    Deno.mkdirSync(host);
    await ok(
      root,
      cli(
        `run --network none --name src -v named1:/n -v /anon -v ${host}:/h:ro busybox sh -c`,
        "echo shared > /anon/f; echo named > /n/g",
      ),
    );
    const r = await ok(
      root,
      cli("run --rm --network none --volumes-from src busybox cat /anon/f /n/g"),
    );
    assertEquals(r.stdout, "shared\nnamed\n");

    await ok(root, cli("create --name ro --volumes-from src:ro busybox"));
    await ok(root, cli("create --name own --volumes-from src -v other1:/n busybox"));
    type M = { Type: string; Name?: string; Source: string; Destination: string; RW: boolean };
    const mounts = async (name: string) =>
      (JSON.parse((await ok(root, cli(`inspect ${name}`))).stdout)[0].Mounts as M[])
        .map((m) => [m.Destination, m.Type, m.Name ?? m.Source, m.RW].join(" ")).sort();
    const src = await mounts("src");
    assertEquals(await mounts("ro"), src.map((l) => l.replace(/ true$/, " false")));
    const own = await mounts("own");
    assert(own.includes("/n volume other1 true"), own.join("; "));
    assertEquals(
      own.filter((l) => l.startsWith("/anon ")),
      src.filter((l) => l.startsWith("/anon ")),
    );

    const missing = await tsbox(root, cli("create --volumes-from nosuch busybox"));
    assertEquals(missing.code, 125);
    assertMatch(missing.stderr, /No such container: nosuch/);
    const badMode = await tsbox(root, cli("create --volumes-from src:rx busybox"));
    assertEquals(badMode.code, 125);
  }));

Deno.test("run --init: tini is PID 1, forwards stop's SIGTERM (143, not 137), exit code passes through", () =>
  withSeededRoot(async (root) => {
    const r = await tsbox(
      root,
      cli("run --rm --init --network none busybox sh -c", "cat /proc/1/comm; exit 3"),
    );
    assertEquals([r.code, r.stdout], [3, "docker-init\n"]);
    const id = (await ok(root, cli("run -d --init --network none --name tini busybox sleep 300")))
      .stdout.trim();
    const { pid } = await waitRunning(root, "tini");
    assertEquals((await ok(root, cli("ps --format {{.Command}}"))).stdout, '"sleep 300"\n');
    assertEquals(
      (await ok(root, cli("inspect -f {{.Path}}/{{.HostConfig.Init}} tini"))).stdout,
      "sleep/true\n",
    );
    // sleep as PID 1 would ignore SIGTERM (137 after the timeout); under tini it gets it
    await ok(root, cli("stop -t 60 tini"));
    assertEquals((await ok(root, cli("inspect -f {{.State.ExitCode}} tini"))).stdout, "143\n");
    await ok(root, cli("rm tini"));
    assertNoLeaks(root, [id], [pid]);
  }));
