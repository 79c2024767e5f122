/**
 * `tsbox pull` against a real docker-registry on 127.0.0.1: by tag, by
 * digest, multi-platform index, layer trees equal to `umoci unpack`, and
 * invalid references; `run` of a missing image pulls it.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { makeBusyboxRootfs } from "../helpers/busybox.ts";
import {
  addIndex,
  buildImage,
  freePort,
  layoutManifestDigest,
  pushImage,
  sh,
  startRegistry,
  withTemp,
} from "../helpers/registry.ts";
import { ImageStore } from "../../lib/image/store.ts";
import { pathsFor } from "../../lib/paths.ts";
import { listFiles, snapshotTree, withMergedLayers } from "./tree_util.ts";

function mustPass(r: { code: number; stdout: string; stderr: string }): void {
  assert.equal(
    r.code,
    0,
    `expected success, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
  );
}

Deno.test("run: pulls a missing image first (the registry client loads lazily)", async () => {
  const reg = await startRegistry();
  try {
    await withTemp(async (tmp) => {
      const layout = join(tmp, "oci");
      await buildImage(layout, "v1", [{ kind: "edit", edit: makeBusyboxRootfs }], {
        env: ["FOO=pulled"],
      });
      await pushImage(layout, "v1", `${reg.host}/test/busybox:v1`);
      await withRoot(async (root) => {
        const ref = `${reg.host}/test/busybox:v1`;
        const r = await tsbox(root, [
          "run",
          "--rm",
          "--network",
          "none",
          ref,
          "sh",
          "-c",
          "echo $FOO",
        ]);
        mustPass(r);
        assert.equal(r.stdout.trim(), "pulled");
        assert.match(r.stderr, new RegExp(`Unable to find image '${ref}' locally`));
        assert.ok(new ImageStore(pathsFor(root)).lookup(ref), "the pulled image is stored");
      });
    });
  } finally {
    await reg.stop();
  }
});

Deno.test("pull: by tag and by digest from a local registry", async () => {
  const reg = await startRegistry();
  try {
    await withTemp(async (tmp) => {
      const layout = join(tmp, "oci");
      await buildImage(layout, "v1", [{ kind: "edit", edit: makeBusyboxRootfs }], {
        env: ["FOO=bar"],
      });
      await pushImage(layout, "v1", `${reg.host}/test/busybox:v1`);
      const digest = layoutManifestDigest(layout, "v1");
      await withRoot(async (root) => {
        const r = await tsbox(root, ["pull", `${reg.host}/test/busybox:v1`]);
        mustPass(r);
        assert.match(r.stdout, new RegExp(`Digest: ${digest}`));
        assert.match(
          r.stdout,
          /Status: Downloaded newer image for 127\.0\.0\.1:\d+\/test\/busybox:v1/,
        );
        assert.match(r.stdout, /: Pull complete/);
        const img = new ImageStore(pathsFor(root)).lookup(`${reg.host}/test/busybox:v1`);
        assert.ok(img, "image is in the store");
        assert.deepEqual(img.config.Env, ["FOO=bar"]);
        const busybox = Deno.lstatSync(join(img.layerDirs[0], "bin/busybox"));
        assert.equal(busybox.size, Deno.statSync("/bin/busybox").size);

        // pulling again changes nothing and says so
        const again = await tsbox(root, ["pull", `${reg.host}/test/busybox:v1`]);
        mustPass(again);
        assert.match(again.stdout, /Already exists/);
        assert.match(again.stdout, /Status: Image is up to date/);
      });
      await withRoot(async (root) => {
        const ref = `${reg.host}/test/busybox@${digest}`;
        const r = await tsbox(root, ["pull", "-q", ref]);
        mustPass(r);
        assert.equal(r.stdout.trim(), ref, "-q prints only the name");
        assert.ok(new ImageStore(pathsFor(root)).lookup(ref), "found by repo digest");
      });
    });
  } finally {
    await reg.stop();
  }
});

Deno.test("pull: multi-platform index picks the host platform, --platform another", async () => {
  const reg = await startRegistry();
  try {
    await withTemp(async (tmp) => {
      const layout = join(tmp, "oci");
      for (const arch of ["amd64", "arm64"]) {
        await buildImage(layout, arch, [{
          kind: "edit",
          edit: (r) => Deno.writeTextFileSync(join(r, "arch"), arch),
        }], { arch });
      }
      const indexDigest = await addIndex(layout, "multi", ["amd64", "arm64"]);
      await pushImage(layout, "multi", `${reg.host}/test/multi:latest`, { all: true });
      const hostArch = Deno.build.arch === "aarch64" ? "arm64" : "amd64";
      const other = hostArch === "amd64" ? "arm64" : "amd64";
      const archOf = (root: string, ref: string) => {
        const img = new ImageStore(pathsFor(root)).lookup(ref);
        assert.ok(img, `${ref} is in the store`);
        return Deno.readTextFileSync(join(img.layerDirs.at(-1)!, "arch"));
      };
      await withRoot(async (root) => {
        const r = await tsbox(root, ["pull", `${reg.host}/test/multi`]);
        mustPass(r);
        assert.match(r.stdout, /Using default tag: latest/);
        assert.match(
          r.stdout,
          new RegExp(`Digest: ${indexDigest}`),
          "the index digest is the repo digest",
        );
        assert.equal(archOf(root, `${reg.host}/test/multi:latest`), hostArch);
      });
      await withRoot(async (root) => {
        const r = await tsbox(root, [
          "pull",
          "--platform",
          `linux/${other}`,
          `${reg.host}/test/multi`,
        ]);
        mustPass(r);
        assert.equal(archOf(root, `${reg.host}/test/multi:latest`), other);
        const bad = await tsbox(root, [
          "pull",
          "--platform",
          "linux/s390x",
          `${reg.host}/test/multi`,
        ]);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /no matching manifest for linux\/s390x/);
        assert.match(bad.stderr, /linux\/amd64, linux\/arm64/);
      });
    });
  } finally {
    await reg.stop();
  }
});

Deno.test("pull: 3 layers with whiteouts and an opaque dir merge to the same tree as umoci unpack", async () => {
  const reg = await startRegistry();
  try {
    await withTemp(async (tmp) => {
      const layout = join(tmp, "oci");
      await buildImage(layout, "v1", [
        {
          kind: "edit",
          edit: (r) => {
            makeBusyboxRootfs(r);
            const d = join(r, "data");
            for (const sub of ["keep", "opq/sub", "gonedir/deep", "private"]) {
              Deno.mkdirSync(join(d, sub), { recursive: true });
            }
            Deno.writeTextFileSync(join(d, "keep/a.txt"), "one\n");
            Deno.writeTextFileSync(join(d, "opq/old1"), "old1\n");
            Deno.writeTextFileSync(join(d, "opq/sub/old2"), "old2\n");
            Deno.writeTextFileSync(join(d, "gone.txt"), "gone\n");
            Deno.writeTextFileSync(join(d, "gonedir/deep/x"), "x\n");
            Deno.writeTextFileSync(join(d, "mode600"), "secret\n", { mode: 0o600 });
            Deno.chmodSync(join(d, "mode600"), 0o600);
            Deno.writeTextFileSync(join(d, "setuid"), "#!/bin/sh\n");
            Deno.chmodSync(join(d, "setuid"), 0o4755);
            Deno.chmodSync(join(d, "private"), 0o700);
            Deno.chownSync(join(d, "private"), 1000, 1000);
            Deno.symlinkSync("keep/a.txt", join(d, "rel"));
            Deno.linkSync(join(d, "keep/a.txt"), join(d, "hard"));
          },
        },
        {
          kind: "edit",
          edit: (r) => {
            const d = join(r, "data");
            Deno.removeSync(join(d, "gone.txt"));
            Deno.removeSync(join(d, "gonedir"), { recursive: true });
            Deno.removeSync(join(r, "etc/group"));
            Deno.writeTextFileSync(join(d, "keep/b.txt"), "b\n");
            Deno.chmodSync(join(d, "mode600"), 0o640);
            Deno.removeSync(join(d, "rel"));
            Deno.symlinkSync("/etc/passwd", join(d, "rel"));
          },
        },
        {
          // an opaque dir and an explicit whiteout, in a tar made by GNU tar
          kind: "tar",
          fill: (src) => {
            const opq = join(src, "data/opq");
            Deno.mkdirSync(join(opq, "nested"), { recursive: true });
            Deno.writeTextFileSync(join(opq, ".wh..wh..opq"), "");
            Deno.writeTextFileSync(join(opq, "new.txt"), "new\n");
            Deno.writeTextFileSync(join(opq, "nested/n"), "n\n");
            Deno.writeTextFileSync(join(src, "data/.wh.setuid"), "");
          },
        },
      ]);
      await pushImage(layout, "v1", `${reg.host}/test/layers:v1`);
      const bundle = join(tmp, "bundle");
      await sh("umoci", ["unpack", "--image", `${layout}:v1`, bundle]);
      const expected = snapshotTree(join(bundle, "rootfs"));
      // the fixture really has what this test is about
      assert.equal(expected["data/gone.txt"], undefined);
      assert.equal(expected["data/opq/old1"], undefined);
      assert.ok(expected["data/opq/nested/n"]);
      assert.equal(expected["data/setuid"], undefined);
      assert.equal(expected["data/mode600"]?.split(" ")[1], "640");

      await withRoot(async (root) => {
        mustPass(await tsbox(root, ["pull", `${reg.host}/test/layers:v1`]));
        const img = new ImageStore(pathsFor(root)).lookup(`${reg.host}/test/layers:v1`);
        assert.ok(img);
        assert.equal(img.layerDirs.length, 3);
        const actual = await withMergedLayers(img.layerDirs, (merged) => snapshotTree(merged));
        assert.deepEqual(actual, expected);
      });
    });
  } finally {
    await reg.stop();
  }
});

Deno.test("pull: invalid references exit 1, unknown flags 125, and change nothing", async () => {
  await withRoot(async (root) => {
    const cases: [string[], RegExp][] = [
      [["pull", "Busybox"], /invalid reference format/],
      [["pull", "busybox:bad:tag"], /invalid reference format/],
      [["pull", "busybox@sha256:1234"], /invalid reference format/],
      [["pull", "-"], /invalid reference format|unknown/],
      [["pull"], /requires exactly 1 argument/],
      [["pull", "a", "b"], /requires exactly 1 argument/],
      [["pull", "--platform", "linux//x", "busybox"], /invalid platform/],
      [["pull", "--bogus", "busybox"], /unknown flag/],
    ];
    for (const [args, re] of cases) {
      const r = await tsbox(root, args);
      const want = args.includes("--bogus") ? 125 : 1; // docker: flag errors 125, the rest 1
      assert.equal(r.code, want, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(" "));
      assert.equal(r.stderr.trim().split("\n").length <= 2, true, `one clear line: ${r.stderr}`);
    }
    assert.deepEqual(listFiles(root), [], "nothing was created");
  });
});

Deno.test("pull: unknown tag and unreachable registry fail clearly", async () => {
  const reg = await startRegistry();
  try {
    await withRoot(async (root) => {
      const r = await tsbox(root, ["pull", `${reg.host}/test/none:nope`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /manifest for .*test\/none:nope not found: manifest unknown/);
      const down = await tsbox(root, ["pull", `127.0.0.1:${freePort()}/test/none:v1`]);
      assert.equal(down.code, 1);
      assert.match(
        down.stderr,
        /cannot reach registry 127\.0\.0\.1:\d+ \(http:\/\/127\.0\.0\.1:\d+\): .*refused/i,
      );
      assert.deepEqual(listFiles(join(root, "image")).filter((f) => !f.startsWith("leases/")), []);
    });
  } finally {
    await reg.stop();
  }
});

Deno.test("pull: two concurrent pulls of one image into one store both succeed", async () => {
  const reg = await startRegistry();
  try {
    await withTemp(async (tmp) => {
      const layout = join(tmp, "oci");
      await buildImage(layout, "v1", [
        { kind: "edit", edit: makeBusyboxRootfs },
        { kind: "edit", edit: (r) => Deno.writeTextFileSync(join(r, "two"), "2") },
      ]);
      await pushImage(layout, "v1", `${reg.host}/test/twice:v1`);
      await withRoot(async (root) => {
        const [a, b] = await Promise.all([
          tsbox(root, ["pull", "-q", `${reg.host}/test/twice:v1`]),
          tsbox(root, ["pull", "-q", `${reg.host}/test/twice:v1`]),
        ]);
        mustPass(a);
        mustPass(b);
        const store = new ImageStore(pathsFor(root));
        assert.equal(store.list().length, 1);
        assert.equal(
          listFiles(join(root, "image/blobs")).length,
          3,
          "two layers + config, stored once",
        );
        assert.deepEqual(listFiles(join(root, "image/partial")), []);
        assert.deepEqual(
          listFiles(join(root, "locks")).filter((f) => f.startsWith("blob-")),
          [],
          "no lock litter",
        );
      });
    });
  } finally {
    await reg.stop();
  }
});
