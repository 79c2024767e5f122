/**
 * `tsbox cp`: both directions, running and stopped containers, `-` tar
 * streams, a volume, docker's destination rules, and CVE-2018-15664-style
 * symlinks (`/data → /etc`, `../..` chains, a crafted archive): nothing
 * outside the container root is read or written.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type RunResult, tsbox, tsboxArgv, withRoot } from "../helpers/tsbox.ts";
import { seedImage } from "../run/_image.ts";
import { sh, withTemp } from "../helpers/registry.ts";
import { TAR_END, tarHeader } from "../../lib/image/tar_write.ts";
import { until } from "../container/_lifecycle.ts";

function mustPass(r: RunResult, what = ""): RunResult {
  assert.equal(r.code, 0, `${what} exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** Run the CLI with raw bytes on stdin/stdout. */
async function tsboxBytes(
  root: string,
  args: string[],
  stdin?: Uint8Array,
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: tsboxArgv(root, args),
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const o = await child.output();
  return { code: o.code, stdout: o.stdout, stderr: new TextDecoder().decode(o.stderr) };
}

/** An image whose /data → /etc and /up → ../../../.. (escape attempts), with its own /etc/passwd. */
async function trickyImage(root: string): Promise<void> {
  await seedImage(root, "tricky", {}, (d) => {
    Deno.symlinkSync("/etc", join(d, "data"));
    Deno.symlinkSync("../../../..", join(d, "up"));
    Deno.mkdirSync(join(d, "srv"));
    Deno.symlinkSync("/etc", join(d, "srv/etc-link"));
    Deno.writeTextFileSync(join(d, "srv/file"), "srv file\n");
  });
}

const IMAGE_PASSWD_FIRST = "root:x:0:0:root:/root:/bin/sh";

async function startDetached(root: string, name: string, extra: string[] = []): Promise<string> {
  const r = mustPass(
    await tsbox(root, [
      "run",
      "-d",
      "--name",
      name,
      "--network",
      "none",
      ...extra,
      "tricky",
      "sleep",
      "1000",
    ]),
  );
  const id = r.stdout.trim();
  await until("running", async () => (await tsbox(root, ["exec", name, "true"])).code === 0);
  return id;
}

Deno.test("cp: out of and into a running container, through /data → /etc, stays inside", async () => {
  await withRoot(async (root) => {
    await trickyImage(root);
    const id = await startDetached(root, "run1");
    try {
      await withTemp(async (tmp) => {
        // out: the container's /etc/passwd, never the host's
        mustPass(await tsbox(root, ["cp", "run1:/data/passwd", join(tmp, "pw")]));
        const pw = Deno.readTextFileSync(join(tmp, "pw"));
        assert.equal(pw.split("\n")[0], IMAGE_PASSWD_FIRST);
        assert.notEqual(pw, Deno.readTextFileSync("/etc/passwd"));
        // ../.. chains stop at the container root
        const up = await tsbox(root, ["cp", "run1:/up/etc/shadow", join(tmp, "shadow")]);
        assert.equal(up.code, 1);
        assert.match(up.stderr, /Could not find the file \/up\/etc\/shadow in container run1/);
        assert.throws(() => Deno.lstatSync(join(tmp, "shadow")), Deno.errors.NotFound);
        mustPass(await tsbox(root, ["cp", "run1:/up/etc/passwd", join(tmp, "pw2")]));
        assert.equal(Deno.readTextFileSync(join(tmp, "pw2")), pw);
        // a symlink inside a copied dir is copied as a symlink
        mustPass(await tsbox(root, ["cp", "run1:/srv", join(tmp, "srv")]));
        assert.equal(Deno.readLinkSync(join(tmp, "srv/etc-link")), "/etc");
        assert.equal(Deno.readTextFileSync(join(tmp, "srv/file")), "srv file\n");
        // -L follows the source link (inside the container)
        mustPass(await tsbox(root, ["cp", "-L", "run1:/data", join(tmp, "etc-copy")]));
        assert.ok(Deno.lstatSync(join(tmp, "etc-copy")).isDirectory);
        assert.equal(Deno.readTextFileSync(join(tmp, "etc-copy/passwd")), pw);

        // in: through /data → the container's /etc, not the host's
        const marker = `tsbox-cp-${crypto.randomUUID()}`;
        Deno.writeTextFileSync(join(tmp, marker), "inside\n");
        mustPass(await tsbox(root, ["cp", join(tmp, marker), `run1:/data/${marker}`]));
        assert.throws(() => Deno.lstatSync(`/etc/${marker}`), Deno.errors.NotFound);
        const seen = mustPass(await tsbox(root, ["exec", "run1", "cat", `/etc/${marker}`]));
        assert.equal(seen.stdout, "inside\n");
        mustPass(await tsbox(root, ["cp", join(tmp, marker), `run1:/up/up/${marker}-2`]));
        assert.throws(() => Deno.lstatSync(`/${marker}-2`), Deno.errors.NotFound);
        assert.equal(
          mustPass(await tsbox(root, ["exec", "run1", "cat", `/${marker}-2`])).stdout,
          "inside\n",
        );
      });
    } finally {
      await tsbox(root, ["rm", "-f", id]);
    }
  });
});

Deno.test("cp: a stopped container, '-' tar streams, ownership with and without -a", async () => {
  await withRoot(async (root) => {
    await trickyImage(root);
    mustPass(
      await tsbox(root, [
        "run",
        "--name",
        "st1",
        "--network",
        "none",
        "tricky",
        "sh",
        "-c",
        "mkdir /out && echo a > /out/a && chown 1000:50 /out/a && ln -s /etc /out/l",
      ]),
    );
    await withTemp(async (tmp) => {
      mustPass(await tsbox(root, ["cp", "st1:/out", join(tmp, "o1")]));
      assert.equal(Deno.lstatSync(join(tmp, "o1/a")).uid, 0, "without -a: the caller owns it");
      mustPass(await tsbox(root, ["cp", "-a", "st1:/out", join(tmp, "o2")]));
      assert.equal(Deno.lstatSync(join(tmp, "o2/a")).uid, 1000);
      assert.equal(Deno.lstatSync(join(tmp, "o2/a")).gid, 50);
      assert.equal(Deno.readLinkSync(join(tmp, "o2/l")), "/etc");

      // '-' out: a tar with the source's base name on top
      const out = await tsboxBytes(root, ["cp", "st1:/out", "-"]);
      assert.equal(out.code, 0, out.stderr);
      Deno.writeFileSync(join(tmp, "s.tar"), out.stdout);
      const names = (await sh("tar", ["-tf", join(tmp, "s.tar")])).trim().split("\n").sort();
      assert.deepEqual(names, ["out/", "out/a", "out/l"]);

      // '-' in: extracted below an existing directory (through /data → its /etc)
      const body = new TextEncoder().encode("streamed\n");
      const tar = new Uint8Array([
        ...tarHeader({
          name: "s.txt",
          typeflag: "0",
          mode: 0o640,
          uid: 7,
          gid: 8,
          size: body.length,
          mtime: 1_000_000,
        }),
        ...body,
        ...new Uint8Array(512 - body.length),
        ...TAR_END,
      ]);
      mustPass(await tsbox(root, ["cp", "-a", "-", "st1:/data"], { stdin: tar }));
      assert.throws(() => Deno.lstatSync("/etc/s.txt"), Deno.errors.NotFound);
      mustPass(await tsbox(root, ["cp", "-a", "st1:/etc/s.txt", join(tmp, "s.txt")]));
      const st = Deno.lstatSync(join(tmp, "s.txt"));
      assert.equal(Deno.readTextFileSync(join(tmp, "s.txt")), "streamed\n");
      assert.equal(st.mode! & 0o777, 0o640);
      assert.equal(st.uid, 7);
      assert.equal(st.mtime!.getTime(), 1_000_000_000);
      const notDir = await tsbox(root, ["cp", "-", "st1:/out/a"], { stdin: tar });
      assert.equal(notDir.code, 1);
      assert.match(notDir.stderr, /not a directory/);

      // a crafted archive that walks through its own symlink is refused
      const evil = new Uint8Array([
        ...tarHeader({
          name: "x",
          typeflag: "2",
          mode: 0o777,
          uid: 0,
          gid: 0,
          size: 0,
          mtime: 0,
          linkname: "/",
        }),
        ...tarHeader({
          name: "x/tmp/pwned",
          typeflag: "0",
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: 0,
          mtime: 0,
        }),
        ...TAR_END,
      ]);
      const refused = await tsbox(root, ["cp", "-", "st1:/out"], { stdin: evil });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /is a symlink/);
      assert.throws(() => Deno.lstatSync("/tmp/pwned"), Deno.errors.NotFound);
      const ls = await tsbox(root, ["cp", "st1:/tmp/pwned", join(tmp, "p")]);
      assert.equal(ls.code, 1, "nothing written in the container either");
    });
    // the private overlay mount of the stopped container is gone
    assert.ok(
      !Deno.readTextFileSync("/proc/self/mountinfo").includes(root),
      "no mount left under the root",
    );
  });
});

Deno.test("cp: into a volume, of a running and of a stopped container", async () => {
  await withRoot(async (root) => {
    await trickyImage(root);
    const id = await startDetached(root, "vol1", ["-v", "cpvol:/vdata"]);
    try {
      await withTemp(async (tmp) => {
        Deno.writeTextFileSync(join(tmp, "f"), "in the volume\n");
        mustPass(await tsbox(root, ["cp", join(tmp, "f"), "vol1:/vdata/f"]));
        assert.equal(
          Deno.readTextFileSync(join(root, "volumes/cpvol/_data/f")),
          "in the volume\n",
        );
        mustPass(await tsbox(root, ["stop", "-t", "0", "vol1"]));
        mustPass(await tsbox(root, ["cp", join(tmp, "f"), "vol1:/vdata/g"]));
        assert.equal(Deno.readTextFileSync(join(root, "volumes/cpvol/_data/g")), "in the volume\n");
        assert.throws(
          () => Deno.lstatSync(join(root, "containers", id, "upper/vdata/g")),
          Deno.errors.NotFound,
          "not in the container layer",
        );
        mustPass(await tsbox(root, ["cp", "vol1:/vdata/f", join(tmp, "back")]));
        assert.equal(Deno.readTextFileSync(join(tmp, "back")), "in the volume\n");
      });
    } finally {
      await tsbox(root, ["rm", "-f", "-v", id]);
    }
  });
});

Deno.test("cp: docker's destination rules and errors", async () => {
  await withRoot(async (root) => {
    await trickyImage(root);
    mustPass(
      await tsbox(root, [
        "run",
        "--name",
        "rules",
        "--network",
        "none",
        "tricky",
        "sh",
        "-c",
        "mkdir -p /d/sub && echo 1 > /d/one && echo 2 > /d/sub/two && echo f > /file",
      ]),
    );
    await withTemp(async (tmp) => {
      const t = (p: string) => join(tmp, p);
      // a file to a missing name: created under that name; into an existing dir: its own name
      mustPass(await tsbox(root, ["cp", "rules:/file", t("renamed")]));
      assert.equal(Deno.readTextFileSync(t("renamed")), "f\n");
      Deno.mkdirSync(t("dir"));
      mustPass(await tsbox(root, ["cp", "rules:/file", t("dir")]));
      assert.equal(Deno.readTextFileSync(t("dir/file")), "f\n");
      // a file onto an existing file: overwritten
      Deno.writeTextFileSync(t("existing"), "old");
      mustPass(await tsbox(root, ["cp", "rules:/file", t("existing")]));
      assert.equal(Deno.readTextFileSync(t("existing")), "f\n");
      // a missing dir with a trailing slash: error
      const noDir = await tsbox(root, ["cp", "rules:/file", t("nodir") + "/"]);
      assert.equal(noDir.code, 1);
      assert.match(noDir.stderr, /no such directory/);
      // a dir to a missing name: created with the contents; to an existing dir: nested
      mustPass(await tsbox(root, ["cp", "rules:/d", t("newd")]));
      assert.equal(Deno.readTextFileSync(t("newd/sub/two")), "2\n");
      mustPass(await tsbox(root, ["cp", "rules:/d", t("dir")]));
      assert.equal(Deno.readTextFileSync(t("dir/d/one")), "1\n");
      // SRC/. copies the contents into the existing dir
      Deno.mkdirSync(t("contents"));
      mustPass(await tsbox(root, ["cp", "rules:/d/.", t("contents")]));
      assert.deepEqual([...Deno.readDirSync(t("contents"))].map((e) => e.name).sort(), [
        "one",
        "sub",
      ]);
      // a dir onto a file: error; a file with a trailing slash: error
      const dirToFile = await tsbox(root, ["cp", "rules:/d", t("existing")]);
      assert.equal(dirToFile.code, 1);
      assert.match(dirToFile.stderr, /cannot copy directory/);
      const slash = await tsbox(root, ["cp", "rules:/file/", t("x")]);
      assert.equal(slash.code, 1);
      assert.match(slash.stderr, /not a directory/);
      // into the container: same rules
      mustPass(await tsbox(root, ["cp", t("contents"), "rules:/d/"]));
      mustPass(await tsbox(root, ["cp", "rules:/d/contents/sub/two", t("two")]));
      assert.equal(Deno.readTextFileSync(t("two")), "2\n");
      const missingParent = await tsbox(root, ["cp", t("two"), "rules:/no/such/two"]);
      assert.equal(missingParent.code, 1);
      assert.match(missingParent.stderr, /no such directory/);
      // usage
      const cases: [string[], RegExp][] = [
        [["cp", "a", "b"], /must specify at least one container source/],
        [["cp", "rules:/a", "rules:/b"], /copying between containers is not supported/],
        [["cp", "nope:/a", t("z")], /No such container: nope/],
        [["cp", t("missing"), "rules:/"], /no such file or directory/],
        [["cp", "rules:/a"], /requires exactly 2 arguments/],
      ];
      for (const [args, re] of cases) {
        const r = await tsbox(root, args);
        assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
        assert.match(r.stderr, re);
      }
    });
  });
});

Deno.test("cp: into a created container before its first start; diff and export while it runs", async () => {
  await withRoot(async (root) => {
    await trickyImage(root);
    const id = mustPass(
      await tsbox(root, [
        "create",
        "--name",
        "fresh",
        "--network",
        "none",
        "tricky",
        "sleep",
        "1000",
      ]),
    ).stdout.trim();
    try {
      await withTemp(async (tmp) => {
        Deno.writeTextFileSync(join(tmp, "seed"), "before start\n");
        mustPass(await tsbox(root, ["cp", join(tmp, "seed"), "fresh:/seed"]));
        mustPass(await tsbox(root, ["start", "fresh"]));
        await until(
          "running",
          async () => (await tsbox(root, ["exec", "fresh", "true"])).code === 0,
        );
        assert.equal(
          mustPass(await tsbox(root, ["exec", "fresh", "cat", "/seed"])).stdout,
          "before start\n",
        );
        mustPass(await tsbox(root, ["exec", "fresh", "rm", "/srv/file"]));
        assert.deepEqual(mustPass(await tsbox(root, ["diff", "fresh"])).stdout.trim().split("\n"), [
          "A /seed",
          "C /srv",
          "D /srv/file",
        ]);
        const file = join(tmp, "fresh.tar");
        mustPass(await tsbox(root, ["export", "-o", file, "fresh"]));
        const names = (await sh("tar", ["-tf", file])).split("\n");
        assert.ok(names.includes("seed"));
        assert.ok(names.includes("srv/etc-link"));
        assert.ok(!names.includes("srv/file"));
      });
    } finally {
      await tsbox(root, ["rm", "-f", id]);
    }
  });
});
