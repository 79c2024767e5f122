/**
 * create / start / start -a on the preserved upper layer, tty containers,
 * start failures, --rm, and container prune. Requires root.
 */

import { assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import {
  assert,
  assertEquals,
  assertNoLeaks,
  cli,
  containerIds,
  ok,
  until,
  withSeededRoot,
} from "./_lifecycle.ts";

Deno.test("start: restarts an exited container on its preserved upper layer", async () => {
  await withSeededRoot(async (root) => {
    const count = "echo run >> /count; wc -l < /count";
    const id = (await ok(root, cli("create --network none --name st busybox sh -c", count))).stdout
      .trim();
    assertEquals((await ok(root, cli("ps -a --format {{.Status}}"))).stdout, "Created\n");
    assertEquals((await ok(root, cli("start -a st"))).stdout.trim(), "1");
    assertEquals((await ok(root, cli("start st"))).stdout, "st\n");
    assertEquals((await ok(root, cli("wait st"))).stdout, "0\n");
    // both runs are logged, the foreground one too (docker's logs show every run)
    assertEquals((await ok(root, cli("logs st"))).stdout, "1\n2\n");
    const fail = await tsbox(root, cli("create --network none --name bad busybox sh -c", "exit 5"));
    assertEquals(fail.code, 0);
    assertEquals((await tsbox(root, cli("start -a bad"))).code, 5);
    await ok(root, cli("rm st bad"));
    assertNoLeaks(root, [id]);
  });
});

Deno.test("run -d -t: the pty output goes to the log; exec -t gets its own tty", async () => {
  await withSeededRoot(async (root) => {
    const id =
      (await ok(root, cli("run -d -t --network none busybox sh -c", "tty; echo hi; sleep 60")))
        .stdout.trim();
    await until(
      "tty output in the log",
      async () => (await ok(root, ["logs", id])).stdout.includes("hi"),
    );
    assertMatch((await ok(root, ["logs", id])).stdout, /^\/dev\/pts\/\d+\r\nhi\r\n$/);
    const e = await ok(root, cli("exec -t", id, "tty"));
    assertMatch(e.stdout, /^\/dev\/pts\/\d+\r\n$/);
    await ok(root, ["rm", "-f", id]);
    assertNoLeaks(root, [id]);
  });
});

Deno.test("run -d: a command that cannot start fails like docker (127); --rm removes it", async () => {
  await withSeededRoot(async (root) => {
    const r = await tsbox(root, cli("run -d --network none --name nocmd busybox nosuchcmd"));
    assertEquals(r.code, 127);
    assertEquals(r.stdout, "");
    assertStringIncludes(r.stderr, 'exec: "nosuchcmd": executable file not found in $PATH');
    assertEquals(
      (await ok(root, cli("ps -a --format", "{{.Names}} {{.Status}}"))).stdout.split(" (")[0],
      "nocmd Exited",
    );
    const rm = await tsbox(root, cli("run -d --rm --network none busybox nosuchcmd"));
    assertEquals(rm.code, 127);
    const quick = (await ok(root, cli("run -d --rm --network none busybox true"))).stdout.trim();
    await until("--rm to remove the container", () => !containerIds(root).includes(quick));
    assertEquals((await ok(root, cli("ps -a --format {{.Names}}"))).stdout, "nocmd\n");
  });
});

Deno.test("container prune: removes stopped containers, keeps running ones", async () => {
  await withSeededRoot(async (root) => {
    const done = (await ok(root, cli("run --network none busybox true"))).stdout;
    assertEquals(done, "");
    const created = (await ok(root, cli("create --network none busybox true"))).stdout.trim();
    const up = (await ok(root, cli("run -d --network none busybox sleep 60"))).stdout.trim();
    const r = await ok(root, cli("container prune -f"));
    assert(r.stdout.startsWith("Deleted Containers:\n"), r.stdout);
    assertStringIncludes(r.stdout, created);
    assert(!r.stdout.includes(up), "a running container was pruned");
    assertMatch(r.stdout, /Total reclaimed space: \d/);
    assertEquals((await ok(root, cli("container ls -aq --no-trunc"))).stdout, `${up}\n`);
    await ok(root, cli("stop -t 0", up));
    const sys = await ok(root, cli("system prune -f"));
    assert(sys.stdout.startsWith(`Deleted Containers:\n${up}\n`), sys.stdout);
    assertEquals((await ok(root, cli("ps -aq"))).stdout, "");
    assertStringIncludes((await ok(root, ["images"])).stdout, "busybox"); // tagged: not dangling
  });
});
