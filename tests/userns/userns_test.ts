/**
 * Rootful user namespaces through `tsbox run` on the real kernel:
 * `--userns=auto` and `--uidmap` make the container's root an ordinary
 * host uid from tsbox's subordinate ranges (added to /etc/subuid and
 * /etc/subgid for the test, restored after).
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { withSubids } from "../helpers/subid.ts";
import { seedImage } from "../run/_image.ts";
import { seedLayered } from "./_layers.ts";
import { waitRunning } from "../run/_containers.ts";

const NONE = ["--network", "none"];
const START = 1_000_000;
const COUNT = 200_000;
const SUBIDS = [`tsbox:${START}:${COUNT}`];

/** The first line of a uid_map/gid_map as numbers. */
function mapLine(text: string): number[] {
  return text.trim().split("\n")[0].trim().split(/\s+/).map(Number);
}

/** Uid line of /proc/PID/status: real, effective, saved, fs. */
function hostUids(pid: number): number[] {
  const st = Deno.readTextFileSync(`/proc/${pid}/status`);
  return /^Uid:\s+(.*)$/m.exec(st)![1].trim().split(/\s+/).map(Number);
}

async function ok(root: string, args: string[]): Promise<string> {
  const r = await tsbox(root, args);
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function pidOf(root: string, name: string): Promise<number> {
  return Number((await ok(root, ["inspect", "-f", "{{.State.Pid}}", name])).trim());
}

Deno.test("userns: --userns=auto: root inside is an unprivileged host uid from tsbox's range", async () => {
  await withSubids(SUBIDS, () =>
    withRoot(async (root) => {
      await seedImage(root);
      const host = Deno.makeTempDirSync({ prefix: "tsbox-userns-bind-" });
      try {
        Deno.chmodSync(host, 0o755);
        Deno.writeTextFileSync(join(host, "f"), "host\n");
        await ok(root, [
          "run",
          "-d",
          "--name",
          "c1",
          ...NONE,
          "--userns=auto",
          "-v",
          `${host}:/h`,
          "busybox",
          "sleep",
          "60",
        ]);
        await waitRunning(root, "c1");
        const pid = await pidOf(root, "c1");
        const [inside, outside, size] = mapLine(Deno.readTextFileSync(`/proc/${pid}/uid_map`));
        assertEquals([inside, size], [0, 65536]);
        assert(outside >= START && outside + size <= START + COUNT, `host uid ${outside}`);
        // the host sees the container's process as the mapped uid
        assertEquals(hostUids(pid), [outside, outside, outside, outside]);
        const script = [
          "id -u",
          "cat /proc/self/uid_map",
          "cat /h/f",
          "touch /h/x 2>/dev/null && echo wrote-host || echo no-host-write",
          "mount -t tmpfs t /mnt 2>/dev/null && echo mounted || echo no-mount",
          "mknod /tmp/n c 1 3 2>/dev/null && echo mknod || echo no-mknod",
          "touch /own && echo own-write",
        ].join("; ");
        const out = await ok(root, ["exec", "c1", "sh", "-c", script]);
        const lines = out.trim().split("\n");
        assertEquals(lines[0], "0");
        assertEquals(mapLine(lines[1]), [0, outside, 65536]);
        assertEquals(lines.slice(2), [
          "host",
          "no-host-write",
          "no-mount",
          "no-mknod",
          "own-write",
        ]);
        // what root wrote in its own root belongs to the mapped uid on the host
        const id = (await ok(root, ["inspect", "-f", "{{.Id}}", "c1"])).trim();
        assertEquals(Deno.statSync(join(root, "containers", id, "upper", "own")).uid, outside);
        const insp = JSON.parse(await ok(root, ["inspect", "c1"]))[0];
        assertEquals(insp.HostConfig.UsernsMode, "auto");
        assertEquals(insp.HostConfig.IDMappings.UidMap, [`0:${outside}:65536`]);
        assertEquals(insp.HostConfig.IDMappings.Layers, "idmapped");
      } finally {
        await tsbox(root, ["rm", "-f", "c1"]);
        Deno.removeSync(host, { recursive: true });
      }
    }));
});

Deno.test("userns: two --userns=auto containers get disjoint ranges", async () => {
  await withSubids(SUBIDS, () =>
    withRoot(async (root) => {
      await seedImage(root);
      try {
        for (const n of ["a1", "b1"]) {
          await ok(root, [
            "run",
            "-d",
            "--name",
            n,
            ...NONE,
            "--userns=auto",
            "busybox",
            "sleep",
            "60",
          ]);
        }
        await waitRunning(root, "a1");
        await waitRunning(root, "b1");
        const [ua, ub] = await Promise.all(["a1", "b1"].map(async (n) => {
          const pid = await pidOf(root, n);
          return mapLine(Deno.readTextFileSync(`/proc/${pid}/uid_map`));
        }));
        const [, ha, na] = ua;
        const [, hb, nb] = ub;
        assert(ha + na <= hb || hb + nb <= ha, `overlap: ${ua} / ${ub}`);
        // a third that does not fit in what is left is refused
        const r = await tsbox(root, [
          "run",
          "--rm",
          ...NONE,
          "--userns=auto:size=100000",
          "busybox",
          "true",
        ]);
        assertEquals(r.code, 125, r.stderr);
        assertStringIncludes(r.stderr, "no free range");
      } finally {
        await tsbox(root, ["rm", "-f", "a1", "b1"]);
      }
    }));
});

Deno.test("userns: an image with whiteouts and opaque dirs gives the same tree remapped", async () => {
  await withSubids(SUBIDS, () =>
    withRoot(async (root) => {
      await seedLayered(root);
      const list = "find /d /home /bin/busybox /etc/passwd -exec stat -c '%n %u %g %a' {} + | sort";
      const plain = await ok(root, ["run", "--rm", ...NONE, "layered", "sh", "-c", list]);
      const remapped = await ok(root, [
        "run",
        "--rm",
        ...NONE,
        "--userns=auto",
        "layered",
        "sh",
        "-c",
        list,
      ]);
      assertEquals(remapped, plain);
      const lines = plain.trim().split("\n");
      assert(lines.includes("/d/keep 1000 50 600"), plain);
      assert(lines.includes("/d/sub/c 1000 1000 644"), plain);
      assert(lines.includes("/home/user 1000 1000 700"), plain);
      assert(!lines.some((l) => l.startsWith("/d/a ") || l.startsWith("/d/sub/b ")), plain);
      // the remapped root can read a 0600 file of uid 1000 (its own CAP_DAC_OVERRIDE) and
      // copy it up; the shared layer on the host stays unchanged
      const cp = await ok(root, [
        "run",
        "--rm",
        ...NONE,
        "--userns=auto",
        "layered",
        "sh",
        "-c",
        "cat /d/keep && echo more >> /d/keep && cat /d/keep",
      ]);
      assertEquals(cp, "keep\nkeep\nmore\n");
      const again = await ok(root, ["run", "--rm", ...NONE, "layered", "cat", "/d/keep"]);
      assertEquals(again, "keep\n");
    }));
});

Deno.test("userns: a named volume made by a remapped container belongs to its root", async () => {
  await withSubids(SUBIDS, () =>
    withRoot(async (root) => {
      await seedImage(root);
      try {
        await ok(root, [
          "run",
          "--name",
          "w1",
          ...NONE,
          "--userns=auto",
          "-v",
          "data:/data",
          "busybox",
          "sh",
          "-c",
          "id -u; echo kept > /data/f",
        ]);
        const hostRoot = Number(
          (await ok(root, ["inspect", "-f", "{{index .HostConfig.IDMappings.UidMap 0}}", "w1"]))
            .split(":")[1],
        );
        const f = join(root, "volumes", "data", "_data", "f");
        assertEquals(Deno.statSync(f).uid, hostRoot);
        assertEquals(Deno.statSync(join(root, "volumes", "data", "_data")).uid, hostRoot);
        const seen = await ok(root, [
          "run",
          "--rm",
          ...NONE,
          "-v",
          "data:/data",
          "busybox",
          "cat",
          "/data/f",
        ]);
        assertEquals(seen, "kept\n");
      } finally {
        await tsbox(root, ["rm", "-f", "w1"]);
        await tsbox(root, ["volume", "rm", "data"]);
      }
    }));
});

Deno.test("userns: --uidmap/--gidmap as podman's flags", async () => {
  await withSubids(SUBIDS, () =>
    withRoot(async (root) => {
      await seedImage(root);
      const out = await ok(root, [
        "run",
        "--rm",
        ...NONE,
        "--uidmap",
        `0:${START + 500}:1000`,
        "--gidmap",
        `0:${START + 7000}:2000`,
        "busybox",
        "sh",
        "-c",
        "cat /proc/self/uid_map /proc/self/gid_map",
      ]);
      const [u, g] = out.trim().split("\n").map(mapLine);
      assertEquals(u, [0, START + 500, 1000]);
      assertEquals(g, [0, START + 7000, 2000]);
    }));
});

Deno.test("userns: bad input exits 125 with one line and creates nothing", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const cases: [string[], RegExp, boolean][] = [
      [["--userns=auto"], /subordinate ids for user "tsbox"/, false],
      [["--uidmap", "0:5000:10"], /not in the subordinate ids/, true],
      [
        ["--uidmap", `0:${START}:10`, "--uidmap", `5:${START + 100}:10`],
        /overlapping --uidmap/,
        true,
      ],
      [["--uidmap", `1:${START}:10`], /must map container id 0/, true],
      [["--uidmap", "zero"], /invalid --uidmap/, true],
      [["--userns=auto:size=5000000"], /no free range/, true],
      [["--userns=bogus"], /invalid --userns/, true],
      [["--userns=auto", "--uidmap", `0:${START}:10`], /cannot be used together/, true],
    ];
    for (const [flags, msg, withRanges] of cases) {
      const attempt = () => tsbox(root, ["run", "--rm", ...NONE, ...flags, "busybox", "true"]);
      const r = withRanges ? await withSubids(SUBIDS, attempt) : await attempt();
      assertEquals(r.code, 125, `${flags.join(" ")}: ${r.stderr}`);
      // one line (and at most a hint)
      assertEquals(r.stderr.trim().split("\n").filter((l) => !l.startsWith("hint:")).length, 1);
      assertMatch(r.stderr, msg);
      assertEquals((await ok(root, ["ps", "-aq"])).trim(), "");
    }
    let left: string[] = [];
    try {
      left = [...Deno.readDirSync(join(root, "containers"))].map((e) => e.name);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // never created: nothing left
    }
    assertEquals(left, []);
  });
});

Deno.test("userns: an idmap bind shows host owners as they are and writes through them", async () => {
  await withSubids(SUBIDS, () =>
    withRoot(async (root) => {
      await seedImage(root);
      const host = Deno.makeTempDirSync({ prefix: "tsbox-userns-idmap-" });
      try {
        Deno.writeTextFileSync(join(host, "f"), "hi\n");
        Deno.chownSync(join(host, "f"), 1000, 1000);
        const script = "stat -c '%u %g' /h/f; echo more >> /h/f && touch /h/new && echo wrote";
        const out = await ok(root, [
          "run",
          "--rm",
          ...NONE,
          "--userns=auto",
          "-v",
          `${host}:/h:idmap`,
          "busybox",
          "sh",
          "-c",
          script,
        ]);
        assertEquals(out, "1000 1000\nwrote\n");
        // what the container's root made is the host's root's: the mount maps it back
        assertEquals(Deno.statSync(join(host, "new")).uid, 0);
        assertEquals(Deno.readTextFileSync(join(host, "f")), "hi\nmore\n");
        const ro = await tsbox(root, [
          "run",
          "--rm",
          ...NONE,
          "--userns=auto",
          "--mount",
          `type=bind,src=${host},dst=/h,idmap,ro`,
          "busybox",
          "touch",
          "/h/x",
        ]);
        assertEquals(ro.code, 1);
        assertStringIncludes(ro.stderr, "Read-only file system");
        const plain = await tsbox(root, [
          "run",
          "--rm",
          ...NONE,
          "-v",
          `${host}:/h:idmap`,
          "busybox",
          "true",
        ]);
        assertEquals(plain.code, 125);
        assertStringIncludes(plain.stderr, "idmap mount option needs a user namespace");
      } finally {
        Deno.removeSync(host, { recursive: true });
      }
    }));
});

Deno.test("userns: where layers cannot be idmapped, shifted copies give the same tree", async () => {
  await withSubids(SUBIDS, () =>
    withRoot(async (root) => {
      await seedLayered(root);
      const list = "find /d /home /bin/busybox -exec stat -c '%n %u %g %a' {} + | sort";
      const plain = await ok(root, ["run", "--rm", ...NONE, "layered", "sh", "-c", list]);
      try {
        // TSBOX_IDMAP=copy takes the fallback of kernels without idmapped overlay lowers
        const r = await tsbox(root, [
          "run",
          "--name",
          "cp1",
          ...NONE,
          "--userns=auto",
          "layered",
          "sh",
          "-c",
          list,
        ], { env: { TSBOX_IDMAP: "copy" } });
        assertEquals(r.code, 0, r.stderr);
        assertEquals(r.stdout, plain);
        const insp = JSON.parse(await ok(root, ["inspect", "cp1"]))[0];
        assertEquals(insp.HostConfig.IDMappings.Layers, "chowned copy");
        const host = Number(insp.HostConfig.IDMappings.UidMap[0].split(":")[1]);
        const copy = join(root, "containers", insp.Id, "lower", "1", "d", "keep");
        assertEquals(Deno.statSync(copy).uid, host + 1000);
        // the shared layer keeps its owners
        const again = await ok(root, [
          "run",
          "--rm",
          ...NONE,
          "layered",
          "stat",
          "-c",
          "%u",
          "/d/keep",
        ]);
        assertEquals(again, "1000\n");
      } finally {
        await tsbox(root, ["rm", "-f", "cp1"]);
      }
    }));
});
