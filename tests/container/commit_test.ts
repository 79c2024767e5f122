/**
 * `tsbox commit`: the container's changes become a layer — new files,
 * deletions (whiteouts), an opaque directory, a device node, a hard link,
 * an xattr — checked by running the new image and by `umoci unpack` of the
 * image pushed to a real docker-registry; deterministic layer digests;
 * `--change` and history; a running container; bad input.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { seedImage } from "../run/_image.ts";
import { sh, startRegistry, withTemp } from "../helpers/registry.ts";
import { lgetxattr } from "../../ffi/xattr.ts";
import { until } from "./_lifecycle.ts";
import { changedContainer, mustPass } from "./_changed.ts";

function inspect(root: string, ref: string): Promise<any> {
  return tsbox(root, ["image", "inspect", ref]).then((r) => JSON.parse(mustPass(r).stdout)[0]);
}

Deno.test("commit: changes, deletions and an opaque dir reach the new image; same layer twice", async () => {
  await withRoot(async (root) => {
    await changedContainer(root);
    const c = mustPass(
      await tsbox(root, [
        "commit",
        "-m",
        "the message",
        "-a",
        "Ann <a@x>",
        "-c",
        'CMD ["cat", "/new"]',
        "-c",
        "ENV FOO=bar",
        "-c",
        "LABEL k=v",
        "-c",
        "EXPOSE 8080",
        "-c",
        "WORKDIR /opq",
        "-c",
        "STOPSIGNAL SIGINT",
        "-c",
        "VOLUME /vol",
        "c1",
        "snap:v1",
      ]),
    );
    assert.match(c.stdout, /^sha256:[0-9a-f]{64}\n$/);
    mustPass(await tsbox(root, ["commit", "c1", "snap:v2"]));
    const v1 = await inspect(root, "snap:v1");
    const v2 = await inspect(root, "snap:v2");
    const base = await inspect(root, "busybox");
    assert.equal(v1.Id, c.stdout.trim());
    assert.equal(v1.RootFS.Layers.length, base.RootFS.Layers.length + 1);
    assert.deepEqual(v1.RootFS.Layers.slice(0, -1), base.RootFS.Layers);
    assert.equal(v1.RootFS.Layers.at(-1), v2.RootFS.Layers.at(-1), "deterministic layer");
    assert.deepEqual(v1.Config.Cmd, ["cat", "/new"]);
    assert.ok(v1.Config.Env.includes("FOO=bar"));
    assert.deepEqual(v1.Config.Labels, { k: "v" });
    assert.deepEqual(v1.Config.ExposedPorts, { "8080/tcp": {} });
    assert.equal(v1.Config.WorkingDir, "/opq");
    assert.equal(v1.Config.StopSignal, "SIGINT");
    assert.deepEqual(v1.Config.Volumes, { "/vol": {} });
    assert.equal(v1.Author, "Ann <a@x>");
    assert.equal(v1.Comment, "the message");
    // docker prints every field of the config, empty ones too
    assert.equal(v2.Config.Entrypoint, null);
    assert.equal(v2.Config.Labels, null);
    assert.equal(v2.Config.WorkingDir, "");
    assert.equal(v2.Config.AttachStdin, false);
    // the committed container's own command is the default one without -c
    assert.equal(v2.Config.Cmd[0], "sh");

    const hist = mustPass(await tsbox(root, ["history", "--no-trunc", "snap:v1"])).stdout;
    assert.match(hist.split("\n")[1], /the message/);
    assert.match(hist.split("\n")[1], /sh -c echo hi > \/new/);

    mustPass(await tsbox(root, ["run", "--rm", "--network", "none", "snap:v1"]));
    const r = mustPass(
      await tsbox(root, [
        "run",
        "--rm",
        "--network",
        "none",
        "snap:v1",
        "sh",
        "-c",
        "cat /new; test -e /etc/group || echo nogroup; ls /opq; stat -c '%t:%T %F' /cdev; " +
        "stat -c '%i %h %u:%g' /new /newlink",
      ]),
    );
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines[0], "hi");
    assert.equal(lines[1], "nogroup");
    assert.equal(lines[2], "fresh", "the opaque dir hides old1 and old2");
    assert.equal(lines[3], "1:3 character special file");
    const [a, b] = [lines[4].split(" "), lines[5].split(" ")];
    assert.equal(a[0], b[0], "hard link kept");
    assert.equal(a[1], "2");
    assert.equal(a[2], "1000:50");
  });
});

Deno.test("commit: umoci unpack of the pushed image shows the same tree", async () => {
  const reg = await startRegistry();
  try {
    await withRoot(async (root) => {
      await changedContainer(root);
      const ref = `${reg.host}/commit/snap:v1`;
      mustPass(await tsbox(root, ["commit", "c1", ref]));
      mustPass(await tsbox(root, ["push", ref]));
      await withTemp(async (tmp) => {
        const layout = join(tmp, "oci");
        await sh("skopeo", [
          "copy",
          "--quiet",
          "--src-tls-verify=false",
          `docker://${ref}`,
          `oci:${layout}:x`,
        ]);
        const bundle = join(tmp, "bundle");
        await sh("umoci", ["unpack", "--image", `${layout}:x`, bundle]);
        const rootfs = join(bundle, "rootfs");
        assert.equal(Deno.readTextFileSync(join(rootfs, "new")), "hi\n");
        assert.throws(() => Deno.lstatSync(join(rootfs, "etc/group")), Deno.errors.NotFound);
        assert.ok(Deno.lstatSync(join(rootfs, "etc/passwd")).isFile, "siblings stay");
        assert.deepEqual([...Deno.readDirSync(join(rootfs, "opq"))].map((e) => e.name), [
          "fresh",
        ]);
        const dev = Deno.lstatSync(join(rootfs, "cdev"));
        assert.ok(dev.isCharDevice);
        assert.equal(dev.rdev, 0x103);
        const n = Deno.lstatSync(join(rootfs, "new"));
        assert.equal(n.ino, Deno.lstatSync(join(rootfs, "newlink")).ino);
        assert.equal(n.uid, 1000);
        assert.equal(n.gid, 50);
        assert.equal(
          new TextDecoder().decode(lgetxattr(join(rootfs, "new"), "user.tsbox")),
          "v1",
        );
        for (const f of ["hosts", "hostname", "resolv.conf"]) {
          assert.throws(
            () => Deno.lstatSync(join(rootfs, "etc", f)),
            Deno.errors.NotFound,
            `generated /etc/${f} is not committed`,
          );
        }
      });
    });
  } finally {
    await reg.stop();
  }
});

Deno.test("commit: a running container is committed while it runs", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const run = mustPass(
      await tsbox(root, [
        "run",
        "-d",
        "--name",
        "live",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "echo alive > /live; exec sleep 1000",
      ]),
    );
    const id = run.stdout.trim();
    try {
      await until("the file", () => {
        try {
          return Deno.readTextFileSync(join(root, "containers", id, "upper/live")) === "alive\n";
        } catch (err) {
          if (err instanceof Deno.errors.NotFound) return false;
          throw err;
        }
      });
      mustPass(await tsbox(root, ["commit", "live", "alive:1"]));
      const ps = mustPass(await tsbox(root, ["ps", "-q", "--no-trunc"]));
      assert.equal(ps.stdout.trim(), id, "still running after the commit");
      const r = mustPass(
        await tsbox(root, ["run", "--rm", "--network", "none", "alive:1", "cat", "/live"]),
      );
      assert.equal(r.stdout, "alive\n");
    } finally {
      await tsbox(root, ["rm", "-f", id]);
    }
  });
});

Deno.test("commit: bad input exits 1 and adds no image", async () => {
  await withRoot(async (root) => {
    await changedContainer(root);
    const before = mustPass(await tsbox(root, ["images", "-q"])).stdout;
    const cases: [string[], RegExp][] = [
      [["commit"], /requires at least 1 and at most 2 arguments/],
      [["commit", "nope"], /No such container: nope/],
      [["commit", "-c", "FROB x", "c1"], /FROB/],
      [["commit", "c1", "Bad:Name:x"], /invalid reference format/],
      [["commit", "c1", "x@sha256:" + "a".repeat(64)], /digest/],
    ];
    for (const [args, re] of cases) {
      const r = await tsbox(root, args);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    assert.equal(mustPass(await tsbox(root, ["images", "-q"])).stdout, before);
  });
});
