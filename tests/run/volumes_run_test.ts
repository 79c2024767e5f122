/**
 * Volumes through `tsbox run` on the real kernel: bind, named, anonymous,
 * read-only, tmpfs, copy-up, bad specs, symlink escapes.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { tsbox, tsboxArgv, withRoot } from "../helpers/tsbox.ts";
import { seedImage } from "./_image.ts";
import { forceCleanup, isAlive, readDirNames, waitRunning } from "./_containers.ts";

const NONE = ["--network", "none"];

Deno.test("run -v: bind writes reach the host; named volumes persist to the next container", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const host = Deno.makeTempDirSync({ prefix: "tsbox-test-bind-" });
    try {
      const w = await tsbox(root, [
        "run",
        "--rm",
        ...NONE,
        "-v",
        `${host}:/mnt/h`,
        "-v",
        "data:/data",
        "busybox",
        "sh",
        "-c",
        "echo bound > /mnt/h/f && echo named > /data/g",
      ]);
      assertEquals(w.code, 0, w.stderr);
      assertEquals(Deno.readTextFileSync(`${host}/f`), "bound\n");
      const r = await tsbox(root, [
        "run",
        "--rm",
        ...NONE,
        "-v",
        "data:/data",
        "busybox",
        "cat",
        "/data/g",
      ]);
      assertEquals(r.stdout, "named\n", r.stderr);
      assertEquals(Deno.readTextFileSync(`${root}/volumes/data/_data/g`), "named\n");
    } finally {
      Deno.removeSync(host, { recursive: true });
    }
  });
});

Deno.test("run -v: a missing bind source dir is created; --mount bind with a missing source is an error", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const base = Deno.makeTempDirSync({ prefix: "tsbox-test-bind-" });
    try {
      const r = await tsbox(root, [
        "run",
        "--rm",
        ...NONE,
        "-v",
        `${base}/new/dir:/x`,
        "busybox",
        "true",
      ]);
      assertEquals(r.code, 0, r.stderr);
      assert(Deno.statSync(`${base}/new/dir`).isDirectory);
      const m = await tsbox(root, [
        "run",
        "--rm",
        ...NONE,
        "--mount",
        `type=bind,source=${base}/absent,target=/x`,
        "busybox",
        "true",
      ]);
      assertEquals(m.code, 125);
      assertStringIncludes(m.stderr, `${base}/absent`);
      assertEquals(readDirNames(`${root}/containers`), []);
    } finally {
      Deno.removeSync(base, { recursive: true });
    }
  });
});

Deno.test("run -v :ro is really read-only (EROFS); tmpfs content is gone after exit", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const r = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "-v",
      "ro-vol:/data:ro",
      "--tmpfs",
      "/scratch:size=1m",
      "busybox",
      "sh",
      "-c",
      "touch /data/x 2>&1; echo t > /scratch/t; grep ' /scratch ' /proc/mounts",
    ]);
    assertMatch(r.stdout, /Read-only file system/);
    assertMatch(r.stdout, /tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec.*size=1024k/);
    assertEquals(readDirNames(`${root}/volumes/ro-vol/_data`), []);
    const again = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "--tmpfs",
      "/scratch",
      "busybox",
      "ls",
      "/scratch",
    ]);
    assertEquals(again.stdout, "");
  });
});

Deno.test("run -v: copy-up fills a new named volume from the image, never an existing non-empty one", async () => {
  await withRoot(async (root) => {
    await seedImage(root, "withdata", {}, (dir) => {
      Deno.mkdirSync(`${dir}/srv/app`, { recursive: true });
      Deno.writeTextFileSync(`${dir}/srv/app/config`, "from-image\n");
      Deno.chmodSync(`${dir}/srv/app/config`, 0o640);
      Deno.chownSync(`${dir}/srv/app/config`, 1000, 50);
    });
    const r = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "-v",
      "fresh:/srv/app",
      "withdata",
      "stat",
      "-c",
      "%a %u %g",
      "/srv/app/config",
    ]);
    assertEquals(r.stdout, "640 1000 50\n", r.stderr);
    assertEquals(Deno.readTextFileSync(`${root}/volumes/fresh/_data/config`), "from-image\n");

    const mk = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "-v",
      "used:/data",
      "withdata",
      "sh",
      "-c",
      "echo mine > /data/own",
    ]);
    assertEquals(mk.code, 0, mk.stderr);
    const r2 = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "-v",
      "used:/srv/app",
      "withdata",
      "ls",
      "/srv/app",
    ]);
    assertEquals(r2.stdout, "own\n");
    // nocopy leaves a new volume empty
    const r3 = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "-v",
      "bare:/srv/app:nocopy",
      "withdata",
      "ls",
      "/srv/app",
    ]);
    assertEquals(r3.stdout, "");
  });
});

Deno.test("run: image VOLUME becomes an anonymous volume, removed by --rm; named ones stay", async () => {
  await withRoot(async (root) => {
    await seedImage(root, "volimg", { Volumes: { "/var/cache": {} } });
    const r = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "-v",
      "keep:/keep",
      "volimg",
      "sh",
      "-c",
      "grep -c ' /var/cache ' /proc/mounts",
    ]);
    assertEquals(r.stdout, "1\n", r.stderr);
    assertEquals(
      readDirNames(`${root}/volumes`).filter((n) => !n.startsWith(".") && !n.endsWith(".lock")),
      ["keep"],
    );
  });
});

Deno.test("run: every bad volume spec → 125 naming the problem, nothing created", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const cases: [string[], string][] = [
      [["-v", ":/data"], "empty"],
      [["-v", "data:relative"], "absolute"],
      [["-v", "a:/b:ro:extra"], ""],
      [["-v", "bad$name:/data"], "bad$name"],
      [["-v", "data:/data:bogus"], "bogus"],
      [["-v", "a:/same", "-v", "b:/same"], "/same"],
      [["-v", "data:/"], ""],
      [["--mount", "type=nope,target=/x"], "nope"],
      [["--tmpfs", "rel"], "rel"],
    ];
    for (const [flags, needle] of cases) {
      const r = await tsbox(root, ["run", "--rm", ...NONE, ...flags, "busybox", "true"]);
      assertEquals(r.code, 125, `${flags.join(" ")}: ${r.stderr}`);
      assertStringIncludes(r.stderr, needle, flags.join(" "));
      assertEquals(r.stderr.trim().split("\n").filter((l) => l.startsWith("tsbox:")).length, 1);
    }
    assertEquals(readDirNames(`${root}/containers`), []);
    assertEquals(
      readDirNames(`${root}/volumes`).filter((n) => !n.startsWith(".") && !n.endsWith(".lock")),
      [],
    );
  });
});

Deno.test("run -v: an image symlink pointing at a host path cannot redirect a mount onto the host", async () => {
  await withRoot(async (root) => {
    const victim = Deno.makeTempDirSync({ prefix: "tsbox-test-victim-" });
    try {
      Deno.writeTextFileSync(`${victim}/keep`, "host\n");
      await seedImage(root, "evil", {}, (dir) => {
        Deno.symlinkSync(victim, `${dir}/data`);
        Deno.symlinkSync(`../../../../../../..${victim}`, `${dir}/up`);
      });
      const r = await tsbox(root, [
        "run",
        "--rm",
        ...NONE,
        "-v",
        "v1:/data",
        "-v",
        "v2:/up",
        "evil",
        "sh",
        "-c",
        "echo c > /data/f; echo d > /up/g; true",
      ]);
      // whatever tsbox decides (refuse, or resolve inside the rootfs), the host dir is untouched
      assertEquals(readDirNames(victim), ["keep"], r.stderr);
      assertEquals(Deno.readTextFileSync(`${victim}/keep`), "host\n");
      assert(
        !Deno.readTextFileSync("/proc/self/mountinfo").includes(victim),
        "no mount on the host path",
      );
    } finally {
      Deno.removeSync(victim, { recursive: true });
    }
  });
});

Deno.test("run -v: tsbox SIGKILLed mid-run, then rm -f → volume data intact, nothing left", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const cli = new Deno.Command(Deno.execPath(), {
      args: tsboxArgv(root, [
        "run",
        "--name",
        "victim",
        ...NONE,
        "-v",
        "precious:/data",
        "busybox",
        "sh",
        "-c",
        "echo important > /data/keep; while true; do date >> /data/log; sleep 0.1; done",
      ]),
      stdout: "null",
      stderr: "null",
    }).spawn();
    let containerPid = 0;
    let id = "";
    try {
      ({ pid: containerPid, id } = await waitRunning(root, "victim"));
      await new Promise((r) => setTimeout(r, 300));
      cli.kill("SIGKILL");
      await cli.status;
      // the init has PR_SET_PDEATHSIG: an unsupervised container is killed, never left running unrecorded
      const rm = await tsbox(root, ["rm", "-f", "victim"]);
      assertEquals(rm.code, 0, rm.stderr);
      assert(!isAlive(containerPid), "rm -f killed the container");
      assertEquals(Deno.readTextFileSync(`${root}/volumes/precious/_data/keep`), "important\n");
      assertEquals(readDirNames(`${root}/containers`), []);
      assert(!Deno.readTextFileSync("/proc/self/mountinfo").includes(root));
      assertEquals(readDirNames("/sys/fs/cgroup/pids").filter((n) => n === `tsbox-${id}`), []);
    } finally {
      await cli.status;
      if ((await tsbox(root, ["rm", "-f", "victim"])).code !== 0) {
        await forceCleanup(id, containerPid);
      }
    }
  });
});

Deno.test("run -v NAME:/etc: image /etc is copied up, generated hostname/hosts stay per container", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const a = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "--hostname",
      "first",
      "-v",
      "etcvol:/etc",
      "busybox",
      "sh",
      "-c",
      "cat /etc/hostname; grep -c '^root:' /etc/passwd",
    ]);
    assertEquals(a.stdout, "first\n1\n", a.stderr);
    assertEquals(
      Deno.readTextFileSync(`${root}/volumes/etcvol/_data/hostname`),
      "",
      "the volume holds no generated content",
    );
    const b = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "--hostname",
      "second",
      "-v",
      "etcvol:/etc",
      "busybox",
      "cat",
      "/etc/hostname",
    ]);
    assertEquals(b.stdout, "second\n", b.stderr);
  });
});
