/**
 * `--shm-size` (docker's 64 MiB default /dev/shm, `--ipc none` without one,
 * `--ipc host` the host's) and `--group-add` (names from the image's
 * /etc/group, numbers as given, also for `exec`), through the CLI.
 * Requires root.
 */

import { rmSync } from "node:fs";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import { assertNoLeaks, cli, containerIds, ok, withSeededRoot } from "../container/_lifecycle.ts";

const NONE = ["--network", "none"];
const SHM = "grep ' /dev/shm ' /proc/mounts || echo no-shm";

Deno.test("run --shm-size: /dev/shm is a tmpfs of that size (64m by default), inspect ShmSize", async () => {
  await withSeededRoot(async (root) => {
    const dflt = await ok(root, ["run", "--rm", ...NONE, "busybox", "sh", "-c", SHM]);
    assertStringIncludes(dflt.stdout, "shm /dev/shm tmpfs");
    assertStringIncludes(dflt.stdout, "size=65536k");
    const small = await ok(root, [
      "run",
      "--rm",
      ...NONE,
      "--shm-size",
      "1m",
      "busybox",
      "sh",
      "-c",
      SHM,
    ]);
    assertStringIncludes(small.stdout, "size=1024k");
    const none = await ok(root, [
      "run",
      "--rm",
      ...NONE,
      "--ipc",
      "none",
      "busybox",
      "sh",
      "-c",
      SHM,
    ]);
    assertEquals(none.stdout, "no-shm\n");
    const id = (await ok(root, ["create", "--shm-size", "2g", "busybox"])).stdout.trim();
    const info = JSON.parse((await ok(root, ["inspect", id])).stdout)[0];
    assertEquals([info.HostConfig.ShmSize, info.HostConfig.IpcMode], [2 * 1024 ** 3, "private"]);
    for (const bad of ["0", "-1", "lots"]) {
      const r = await tsbox(root, ["run", "--rm", "--shm-size", bad, "busybox", "true"]);
      assertEquals(r.code, 125, bad);
      assertEquals(r.stderr.split("\n").length, 2, r.stderr); // one line
    }
    assertEquals(containerIds(root), [id]);
  });
});

Deno.test("run --ipc host: the host's /dev/shm is the container's, both ways", async () => {
  await withSeededRoot(async (root) => {
    const name = `tsbox-ipc-test-${crypto.randomUUID()}`;
    const hostFile = `/dev/shm/${name}-host`;
    try {
      Deno.writeTextFileSync(hostFile, "from-host\n", { createNew: true });
      const seen = await ok(
        root,
        cli(`run --rm --network none --ipc host busybox cat ${hostFile}`),
      );
      assertEquals(seen.stdout, "from-host\n");
      const own = await tsbox(root, cli(`run --rm --network none busybox cat ${hostFile}`));
      assertEquals(own.code, 1, "a private IPC mode has a /dev/shm of its own");
      const r = await ok(root, [
        "run",
        "--rm",
        ...NONE,
        "--ipc",
        "host",
        "busybox",
        "sh",
        "-c",
        `echo hi > /dev/shm/${name}`,
      ]);
      assertEquals(r.code, 0);
      assertEquals(Deno.readTextFileSync(`/dev/shm/${name}`), "hi\n");
    } finally {
      rmSync(`/dev/shm/${name}`, { force: true }); // absent when the run failed before writing
      rmSync(hostFile, { force: true });
    }
  });
});

Deno.test("run --group-add: names from the image's /etc/group and numbers; exec has them too", async () => {
  await withSeededRoot(async (root) => {
    const r = await ok(root, [
      "run",
      "--rm",
      ...NONE,
      "-u",
      "user",
      "--group-add",
      "nogroup",
      "--group-add",
      "4321",
      "busybox",
      "id",
      "-G",
    ]);
    // the kernel keeps supplementary groups sorted: compare as sets
    const gids = (out: string) => out.trim().split(" ").map(Number).sort((a, b) => a - b);
    assertEquals(gids(r.stdout), [50, 1000, 4321, 65534]);
    const id =
      (await ok(root, ["run", "-d", ...NONE, "--group-add", "staff", "busybox", "sleep", "300"]))
        .stdout.trim();
    const e = await ok(root, ["exec", id, "id", "-G"]);
    assertEquals(gids(e.stdout), [0, 50]);
    const info = JSON.parse((await ok(root, ["inspect", id])).stdout)[0];
    assertEquals(info.HostConfig.GroupAdd, ["staff"]);
    await ok(root, ["rm", "-f", id]);
    const bad = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "--group-add",
      "nosuch",
      "busybox",
      "true",
    ]);
    assertEquals(bad.code, 125);
    assertEquals(
      bad.stderr,
      "tsbox: Unable to find group nosuch: no matching entries in group file\n",
    );
    const syntax = await tsbox(root, ["run", "--rm", "--group-add", "a:b", "busybox", "true"]);
    assertEquals([syntax.code, syntax.stderr], [125, "tsbox: invalid --group-add value: a:b\n"]);
    assert(containerIds(root).length === 0, "nothing left");
    assertNoLeaks(root, [id]);
  });
});
