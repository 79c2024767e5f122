/**
 * The commands docker users reach for that tsbox adds: version, info,
 * system df, port, and the `container`/`system` aliases. Runs as root; the
 * port test starts one bridged container and removes it in `finally`.
 */

import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { seedBusybox } from "../helpers/image_fixture.ts";
import { freePort } from "../helpers/registry.ts";
import { forceCleanup, waitRunning } from "../run/_containers.ts";

async function ok(root: string, args: string[]): Promise<string> {
  const r = await tsbox(root, args);
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

Deno.test("version: client and server sections; --format fields and json", () =>
  withRoot(async (root) => {
    const text = await ok(root, ["version"]);
    assertMatch(text, /^Client: tsbox\n Version: +\d+\.\d+\.\d+\n/);
    assertMatch(text, /\nServer: tsbox.*\n Engine:\n {2}Version: +\d+\.\d+\.\d+\n/);
    const v = (await ok(root, ["--version"])).trim().split(" ").pop();
    assertEquals(
      await ok(root, ["version", "--format", "{{.Client.Version}}|{{.Server.Version}}"]),
      `${v}|${v}\n`,
    );
    assertEquals(
      await ok(root, ["version", "-f", "{{.Server.KernelVersion}}"]),
      `${Deno.osRelease()}\n`,
    );
    assertEquals(JSON.parse(await ok(root, ["version", "--format", "json"])).Client.Os, "linux");
    const bad = await tsbox(root, ["version", "--format", "{{.Nope}}"]);
    assertEquals(bad.code, 1);
    assertMatch(bad.stderr, /^tsbox: template parsing error: .*map has no entry for key "Nope"/);
  }));

Deno.test("info / system info: container counts by state, images, --format", () =>
  withRoot(async (root) => {
    await seedBusybox(root);
    await ok(root, ["create", "--name", "one", "busybox"]);
    await ok(root, ["create", "--name", "two", "busybox"]);
    assertEquals(
      await ok(root, [
        "info",
        "--format",
        "{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}} {{.Images}}",
      ]),
      "2 0 2 1\n",
    );
    assertEquals(await ok(root, ["system", "info", "-f", "{{.DockerRootDir}}"]), `${root}\n`);
    const text = await ok(root, ["info"]);
    assertMatch(
      text,
      /\n Containers: 2\n {2}Running: 0\n {2}Paused: 0\n {2}Stopped: 2\n Images: 1\n/,
    );
    assertMatch(text, /\n Cgroup Version: [12]\n/);
    assertEquals(JSON.parse(await ok(root, ["info", "--format", "json"])).Containers, 2);
  }));

Deno.test("system df: totals, active and reclaimable per type; -v sections; --format", () =>
  withRoot(async (root) => {
    await seedBusybox(root);
    await ok(root, ["create", "--name", "user1", "-v", "vol1:/d", "busybox"]);
    await ok(root, ["volume", "create", "spare"]);
    Deno.writeTextFileSync(`${root}/volumes/spare/_data/f`, "x".repeat(5000));
    const lines = (await ok(root, ["system", "df"])).split("\n");
    assertEquals(lines[0], "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE");
    assertMatch(lines[1], /^Images +1 +1 +\S+MB +0B \(0%\)$/);
    assertMatch(lines[2], /^Containers +1 +0 /);
    assertEquals(lines[3], "Local Volumes   2         1         5kB       5kB (100%)");
    assertEquals(lines[4], "Build Cache     0         0         0B        0B");
    assertEquals(
      await ok(root, ["system", "df", "--format", "{{.Type}}={{.TotalCount}}"]),
      "Images=1\nContainers=1\nLocal Volumes=2\nBuild Cache=0\n",
    );
    const v = await ok(root, ["system", "df", "-v"]);
    for (
      const s of ["Images space usage:", "Containers space usage:", "Local Volumes space usage:"]
    ) {
      assert(v.includes(s), v);
    }
    assertMatch(v, /\nspare +0 +5kB\n/);
    assertMatch(v, /\nvol1 +1 +0B\n/);
  }));

Deno.test("port: published ports of a running container, one private port, a missing one", () =>
  withRoot(async (root) => {
    await seedBusybox(root);
    const port = freePort();
    let id = "";
    let pid = 0;
    try {
      const r = await tsbox(root, [
        "run",
        "-d",
        "--name",
        "pub",
        "-p",
        `127.0.0.1:${port}:80`,
        "-p",
        "90/udp",
        "busybox",
        "sleep",
        "120",
      ]);
      assertEquals(r.code, 0, r.stderr);
      ({ id, pid } = await waitRunning(root, "pub"));
      const all = (await ok(root, ["port", "pub"])).trim().split("\n");
      assertEquals(all[0], `80/tcp -> 127.0.0.1:${port}`);
      assertMatch(all[1], /^90\/udp -> 0\.0\.0\.0:\d+$/);
      assertEquals(await ok(root, ["port", "pub", "80"]), `127.0.0.1:${port}\n`);
      assertEquals(await ok(root, ["container", "port", "pub", "80/tcp"]), `127.0.0.1:${port}\n`);
      // its own network namespace: NET I/O counts its interface (bytes may be 0 yet)
      const net = await ok(root, [
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.NetIO}}",
        "pub",
      ]);
      assertMatch(net, /^pub \d+(\.\d+)?k?B \/ \d+(\.\d+)?k?B\n$/);
      const none = await tsbox(root, ["port", "pub", "81"]);
      assertEquals([none.code, none.stderr.trim()], [
        1,
        "tsbox: No public port '81/tcp' published for pub",
      ]);
      const missing = await tsbox(root, ["port", "nosuch"]);
      assertEquals(missing.code, 1);
    } finally {
      await tsbox(root, ["rm", "-f", "pub"]);
      await forceCleanup(id, pid);
      await tsbox(root, ["network", "rm", "bridge"]);
    }
  }));

Deno.test("run -P: every exposed port (image EXPOSE and --expose) gets a random host port", () =>
  withRoot(async (root) => {
    await seedBusybox(root, { config: { ExposedPorts: { "8080/tcp": {} } } });
    let id = "";
    let pid = 0;
    try {
      const r = await tsbox(root, [
        "run",
        "-d",
        "--name",
        "all",
        "-P",
        "--expose",
        "90/udp",
        "busybox",
        "sleep",
        "120",
      ]);
      assertEquals(r.code, 0, r.stderr);
      ({ id, pid } = await waitRunning(root, "all"));
      const ports = (await ok(root, ["port", "all"])).trim().split("\n");
      assertEquals(ports.length, 2, ports.join("|"));
      assertMatch(ports[0], /^90\/udp -> 0\.0\.0\.0:[1-9]\d*$/);
      assertMatch(ports[1], /^8080\/tcp -> 0\.0\.0\.0:[1-9]\d*$/);
      assertEquals(
        await ok(root, ["inspect", "-f", "{{json .Config.ExposedPorts}}", "all"]),
        '{"90/udp":{},"8080/tcp":{}}\n',
      );
      const bad = await tsbox(root, ["create", "--expose", "99999", "busybox"]);
      assertEquals(bad.code, 125);
    } finally {
      await tsbox(root, ["rm", "-f", "all"]);
      await forceCleanup(id, pid);
      await tsbox(root, ["network", "rm", "bridge"]);
    }
  }));

Deno.test("container and system aliases reach every container command", () =>
  withRoot(async (root) => {
    await seedBusybox(root);
    const id = (await ok(root, ["container", "create", "--name", "aliased", "busybox"])).trim();
    assertEquals(await ok(root, ["container", "ls", "-aq", "--no-trunc"]), `${id}\n`);
    assertEquals(
      await ok(root, ["container", "list", "-a", "--format", "{{.Names}}"]),
      "aliased\n",
    );
    assertEquals(
      await ok(root, ["container", "inspect", "-f", "{{.Name}}", "aliased"]),
      "/aliased\n",
    );
    assertEquals(await ok(root, ["container", "rename", "aliased", "renamed"]), "");
    assertEquals(await ok(root, ["container", "port", "renamed"]), "");
    assertEquals(await ok(root, ["container", "rm", "renamed"]), "renamed\n");
    for (
      const sub of [
        "create",
        "exec",
        "kill",
        "logs",
        "ls",
        "port",
        "prune",
        "rm",
        "start",
        "stats",
        "stop",
        "top",
        "wait",
      ]
    ) {
      assertMatch(await ok(root, ["container", "--help"]), new RegExp(`\\n  ${sub} `));
    }
    assertMatch(await ok(root, ["image", "ls", "--format", "{{.Repository}}"]), /^busybox\n$/);
  }));

Deno.test("history / image history: steps newest first with layer sizes; -q, --no-trunc, -H=false, --format", () =>
  withRoot(async (root) => {
    const dir = `${root}/rootfs`;
    Deno.mkdirSync(dir);
    Deno.writeTextFileSync(`${dir}/f`, "x".repeat(3000));
    const tar = `${root}/r.tar`;
    const t = new Deno.Command("tar", { args: ["-C", dir, "-cf", tar, "."] }).outputSync();
    assertEquals(t.code, 0);
    const id = (await ok(root, ["import", "-m", "first import", tar, "hist:1"])).trim();
    const lines = (await ok(root, ["history", "hist:1"])).split("\n");
    assertEquals(
      lines[0],
      "IMAGE          CREATED                  CREATED BY   SIZE      COMMENT",
    );
    assertMatch(
      lines[1],
      new RegExp(`^${id.slice(7, 19)} +\\S.* +\\d+(\\.\\d+)?kB +first import$`),
    );
    assertEquals(lines.length, 3);
    assertEquals(await ok(root, ["image", "history", "-q", "hist:1"]), `${id.slice(7, 19)}\n`);
    const raw = await ok(root, [
      "history",
      "-H=false",
      "--no-trunc",
      "--format",
      "{{.ID}} {{.Size}}",
      "hist:1",
    ]);
    assertMatch(raw, new RegExp(`^${id} \\d{4,}\\n$`));
    const missing = await tsbox(root, ["history", "nosuch:1"]);
    assertEquals([missing.code, missing.stderr.trim()], [1, "tsbox: No such image: nosuch:1"]);
  }));
