/**
 * `tsbox import` of a busybox rootfs and `tsbox images` listing it. Runs as root.
 */

import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { makeBusyboxTar } from "../helpers/busybox.ts";
import { pathsFor } from "../../lib/paths.ts";
import { ImageStore } from "../../lib/image/store.ts";

Deno.test("import: busybox rootfs tar becomes a one-layer image that images lists", async () => {
  await withRoot(async (root) => {
    const tar = join(root, "bb.tar");
    makeBusyboxTar(tar);
    const r = await tsbox(root, ["import", tar, "busybox"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /^sha256:[a-f0-9]{64}\n$/);
    const id = r.stdout.trim();

    const ls = await tsbox(root, ["images"]);
    assertEquals(ls.code, 0, ls.stderr);
    const [head, row, ...rest] = ls.stdout.trimEnd().split("\n");
    assertMatch(head, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    assertMatch(
      row,
      new RegExp(`^busybox\\s+latest\\s+${id.slice(7, 19)}\\s+.+ ago\\s+[0-9.]+MB$`),
    );
    assertEquals(rest, []);
    assertEquals((await tsbox(root, ["images", "-q"])).stdout, `${id.slice(7, 19)}\n`);
    const json = JSON.parse((await tsbox(root, ["image", "ls", "--format", "json"])).stdout);
    assertEquals([json.Repository, json.Tag, json.ID], ["busybox", "latest", id.slice(7, 19)]);

    const img = new ImageStore(pathsFor(root)).lookup("busybox")!;
    assertEquals(img.id, id);
    assertEquals(img.ref, "docker.io/library/busybox:latest");
    assertEquals(img.config.Cmd, undefined, "docker's import sets no command");
    assertEquals(img.layerDirs.length, 1);
    assert(Deno.lstatSync(join(img.layerDirs[0], "bin/busybox")).isFile);
    assertEquals(Deno.readLinkSync(join(img.layerDirs[0], "bin/sh")), "busybox");
    assertEquals(Deno.statSync(join(img.layerDirs[0], "tmp")).mode! & 0o7777, 0o1777);
  });
});

Deno.test("import: gzip from stdin with --change and --message; untagged import", async () => {
  await withRoot(async (root) => {
    const tar = join(root, "bb.tar");
    makeBusyboxTar(tar);
    const gz = new Uint8Array(gzipSync(Deno.readFileSync(tar)));
    const r = await tsbox(root, [
      "import",
      "-c",
      'CMD ["/bin/sh", "-c", "echo hi"]',
      "--change",
      "ENV FOO=bar",
      "-c",
      "WORKDIR /tmp",
      "-m",
      "my import",
      "-",
      "example.com/tools/bb:v1",
    ], { stdin: gz });
    assertEquals(r.code, 0, r.stderr);
    const store = new ImageStore(pathsFor(root));
    const img = store.lookup("example.com/tools/bb:v1")!;
    assertEquals(img.config.Cmd, ["/bin/sh", "-c", "echo hi"]);
    assertEquals(img.config.Env, ["FOO=bar"]);
    assertEquals(img.config.WorkingDir, "/tmp");
    assertEquals(store.configOf(img.id).comment, "my import");
    assertEquals(
      store.record(img.id)!.layers[0].mediaType,
      "application/vnd.oci.image.layer.v1.tar+gzip",
    );

    const bad = await tsbox(root, ["import", "-c", "RUN rm -rf /", tar, "x"]);
    assertEquals(bad.code, 1);
    assertMatch(bad.stderr, /RUN is not supported/);

    const untagged = await tsbox(root, ["import", tar]);
    assertEquals(untagged.code, 0, untagged.stderr);
    const rows = (await tsbox(root, ["images", "--format", "{{.Repository}}:{{.Tag}}"])).stdout
      .trim().split("\n").sort();
    assertEquals(rows, ["<none>:<none>", "example.com/tools/bb:v1"]);
    // the same layer content (gzip vs plain) is unpacked once
    assertEquals([...Deno.readDirSync(store.layout.layerDir)].length, 1);
  });
});
