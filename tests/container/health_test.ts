/**
 * Health checks: flags over the image's HEALTHCHECK, docker's state
 * machine (starting → healthy / unhealthy after the retries), and the
 * monitor probing a running container (ps "(unhealthy)", inspect
 * State.Health, ps --filter health=). Runs as root for the CLI test.
 */

import { assert, assertEquals, cli, ok, until, withSeededRoot } from "./_lifecycle.ts";
import { assertMatch, assertThrows } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import { waitRunning } from "../run/_containers.ts";
import {
  parseGoDuration,
  probePlan,
  resolveHealthcheck,
} from "../../lib/container/health_config.ts";
import { nextHealth, STARTING } from "../../lib/container/health_state.ts";
import { UsageError } from "../../lib/errors.ts";

Deno.test("resolveHealthcheck/probePlan: flags over the image's, --no-healthcheck, docker's defaults", () => {
  const image = { Test: ["CMD", "/bin/check"], Interval: 5e9, Retries: 5 };
  assertEquals(resolveHealthcheck({ none: false }, image), image);
  assertEquals(resolveHealthcheck({ cmd: "curl x", interval: "1m30s", none: false }, image), {
    Test: ["CMD-SHELL", "curl x"],
    Interval: 90e9,
    Retries: 5,
  });
  assertEquals(resolveHealthcheck({ none: true }, image), undefined);
  assertEquals(resolveHealthcheck({ none: false }, { Test: ["NONE"] }), undefined);
  assertEquals(resolveHealthcheck({ none: false }, undefined), undefined);
  assertThrows(
    () => resolveHealthcheck({ none: true, cmd: "x" }, undefined),
    UsageError,
    "conflicts",
  );
  assertThrows(
    () => resolveHealthcheck({ cmd: "x", retries: "two", none: false }, undefined),
    UsageError,
  );
  assertThrows(() => parseGoDuration("health-interval", "5"), UsageError, "invalid duration");
  assertEquals(parseGoDuration("x", "250ms"), 250e6);
  assertEquals(probePlan({ Test: ["CMD-SHELL", "exit 0"] }), {
    argv: ["/bin/sh", "-c", "exit 0"],
    intervalMs: 30_000,
    timeoutMs: 30_000,
    retries: 3,
    startPeriodMs: 0,
  });
  assertEquals(probePlan({ Test: ["CMD", "a", "b"], Retries: 1 }).argv, ["a", "b"]);
});

Deno.test("nextHealth: healthy on a pass, unhealthy after the retries, start period, last 5 probes", () => {
  const p = (code: number, i = 0) => ({ Start: `${i}`, End: `${i}`, ExitCode: code, Output: "" });
  let h = nextHealth(STARTING, p(1), 2, false);
  assertEquals([h.Status, h.FailingStreak], ["starting", 1]);
  h = nextHealth(h, p(1), 2, false);
  assertEquals([h.Status, h.FailingStreak], ["unhealthy", 2]);
  h = nextHealth(h, p(0), 2, false);
  assertEquals([h.Status, h.FailingStreak], ["healthy", 0]);
  const early = nextHealth(STARTING, p(1), 1, true);
  assertEquals([early.Status, early.FailingStreak], ["starting", 0], "start period: not counted");
  for (let i = 0; i < 9; i++) h = nextHealth(h, p(0, i), 3, false);
  assertEquals(h.Log.map((e) => e.Start), ["4", "5", "6", "7", "8"]);
});

Deno.test("run --health-cmd: unhealthy after the retries, healthy once the check passes; ps and inspect show it", () =>
  withSeededRoot(async (root) => {
    await ok(root, [
      ...cli("run -d --network none --name probed --health-interval 200ms --health-retries 2"),
      "--health-cmd",
      "test -f /tmp/ok",
      "busybox",
      "sleep",
      "300",
    ]);
    await waitRunning(root, "probed");
    const status = async () =>
      JSON.parse((await ok(root, cli("inspect -f", "{{json .State.Health}}", "probed"))).stdout);
    await until("unhealthy", async () => (await status()).Status === "unhealthy", 20_000);
    const bad = await status();
    assert(bad.FailingStreak >= 2, JSON.stringify(bad));
    assertEquals(bad.Log[bad.Log.length - 1].ExitCode, 1);
    assertMatch((await ok(root, cli("ps --format {{.Status}}"))).stdout, /^Up .* \(unhealthy\)\n$/);
    assertEquals((await ok(root, cli("ps -q --filter health=unhealthy"))).stdout.trim().length, 12);
    assertEquals((await ok(root, cli("ps -q --filter health=healthy"))).stdout, "");

    await ok(root, cli("exec probed touch /tmp/ok"));
    await until("healthy", async () => (await status()).Status === "healthy", 20_000);
    assertMatch((await ok(root, cli("ps --format {{.Status}}"))).stdout, /\(healthy\)\n$/);
    const hc = JSON.parse(
      (await ok(root, cli("inspect -f", "{{json .Config.Healthcheck}}", "probed"))).stdout,
    );
    assertEquals(hc, { Test: ["CMD-SHELL", "test -f /tmp/ok"], Interval: 200e6, Retries: 2 });
  }));

Deno.test("create: the image's HEALTHCHECK is kept, --no-healthcheck drops it, bad flags are 125", () =>
  withSeededRoot(async (root) => {
    const { seedBusybox } = await import("../helpers/image_fixture.ts");
    await seedBusybox(root, {
      names: ["docker.io/library/checked:1"],
      config: { Healthcheck: { Test: ["CMD-SHELL", "true"], Interval: 1e9 } },
    });
    await ok(root, cli("create --name with checked:1"));
    await ok(root, cli("create --name without --no-healthcheck checked:1"));
    const get = async (n: string) =>
      (await ok(root, cli("inspect -f", "{{json .Config.Healthcheck}}", n))).stdout.trim();
    assertEquals(JSON.parse(await get("with")), { Test: ["CMD-SHELL", "true"], Interval: 1e9 });
    const none = await tsbox(root, cli("inspect -f", "{{.Config.Healthcheck}}", "without"));
    assertEquals(none.code, 1, "no Healthcheck key at all");
    for (
      const args of [
        "--health-interval 5",
        "--health-retries x",
        "--no-healthcheck --health-cmd true",
      ]
    ) {
      const r = await tsbox(root, cli(`create ${args} busybox`));
      assertEquals(r.code, 125, `${args}: ${r.stderr}`);
    }
  }));
