/**
 * Bad input through the CLI: malicious layers, digest and diff id
 * mismatches, junk archives, bad references. Each must fail with exit 1
 * and one clear line, write nothing outside the store and leave no image
 * and no stored content behind. Runs as root.
 */

import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { join } from "node:path";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { pathsFor } from "../../lib/paths.ts";
import { StoreLayout } from "../../lib/image/store_layout.ts";
import { dockerArchive, makeImage, ociArchive } from "./_archives.ts";
import { buildTar, type Entry, json, sha256 } from "./_tar_builder.ts";

/** Visible (non-temp) entries of a store dir. */
function contentOf(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/** The store holds no image, tag, blob or layer (temp names included: they must be cleaned up too). */
async function assertEmptyStore(root: string): Promise<void> {
  const l = new StoreLayout(pathsFor(root));
  assertEquals(contentOf(l.imageDir), []);
  assertEquals(contentOf(l.blobDir), []);
  assertEquals(contentOf(l.layerDir), []);
  const ls = await tsbox(root, ["images", "-q"]);
  assertEquals(ls.stdout, "");
}

const MALICIOUS: [string, (outside: string) => Entry[]][] = [
  ["../x", () => [{ name: "ok", data: "fine" }, { name: "../x", data: "evil" }]],
  ["absolute path", (o) => [{ name: `${o}/abs`, data: "evil" }]],
  [
    "symlink then file through it",
    (o) => [{ name: "a", type: "symlink", linkname: o }, { name: "a/file", data: "evil" }],
  ],
  [
    "hardlink to ../../etc/passwd",
    () => [{ name: "p", type: "link", linkname: "../../etc/passwd" }],
  ],
];

for (const [label, make] of MALICIOUS) {
  Deno.test(`load: rejects a layer with ${label}, nothing written outside, no partial image`, async () => {
    await withRoot(async (root) => {
      const outside = join(root, "outside");
      Deno.mkdirSync(outside);
      const passwdLinks = Deno.statSync("/etc/passwd").nlink;
      const good = await buildTar([{ name: "base", data: "base layer" }]);
      const bad = await buildTar(make(outside));
      const img = await makeImage([[{ name: "base", data: "base layer" }], make(outside)]);
      assertEquals(img.layers[0], good);
      assertEquals(img.layers[1], bad);
      const file = join(root, "bad.tar");
      Deno.writeFileSync(file, await dockerArchive(img, ["evil:1"]));
      const r = await tsbox(root, ["load", "-i", file]);
      assertEquals(r.code, 1, r.stdout + r.stderr);
      assertStringIncludes(r.stderr, "refusing tar entry");
      assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
      assertEquals(contentOf(outside), []);
      assertEquals(Deno.statSync("/etc/passwd").nlink, passwdLinks);
      await assertEmptyStore(root);
    });
  });
}

Deno.test("load: OCI blob whose content does not match its digest is rejected", async () => {
  await withRoot(async (root) => {
    const img = await makeImage();
    const archive = await ociArchive(img, { "io.containerd.image.name": "x:1" }, (blobs) => {
      const [digest, bytes] = [...blobs].find(([, b]) => b[0] === 0x1f)!; // a gzip layer
      const evil = bytes.slice();
      evil[evil.length - 5] ^= 0xff;
      blobs.set(digest, evil);
    });
    const r = await tsbox(root, ["load"], { stdin: archive });
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "digest mismatch");
    await assertEmptyStore(root);
  });
});

Deno.test("load: a layer that does not match the config's diff_ids is rejected", async () => {
  await withRoot(async (root) => {
    const other = sha256(json("something else"));
    const img = await makeImage(undefined, [other, other, other]);
    const r = await tsbox(root, ["load"], { stdin: await dockerArchive(img, ["x:1"]) });
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "does not match its config");
    await assertEmptyStore(root);
  });
});

Deno.test("load: junk, empty input and a missing file fail with exit 1", async () => {
  await withRoot(async (root) => {
    for (
      const [stdin, msg] of [[
        new TextEncoder().encode("no tar here ".repeat(100)),
        "not a valid tar",
      ], [new Uint8Array(), "empty"]] as const
    ) {
      const r = await tsbox(root, ["load"], { stdin });
      assertEquals(r.code, 1);
      assertStringIncludes(r.stderr, msg);
    }
    const none = await tsbox(root, ["load", "-i", join(root, "nope.tar")]);
    assertEquals(none.code, 1);
    assertStringIncludes(none.stderr, "no such file");
    const neither = await tsbox(root, ["load"], {
      stdin: await buildTar([{ name: "hello.txt", data: "hi" }]),
    });
    assertEquals(neither.code, 1);
    assertStringIncludes(neither.stderr, "not a docker-archive or OCI image layout");
    await assertEmptyStore(root);
  });
});

Deno.test("import, tag, rmi, save: bad references exit 1 and change nothing", async () => {
  await withRoot(async (root) => {
    const tar = join(root, "r.tar");
    Deno.writeFileSync(tar, await buildTar([{ name: "f", data: "x" }]));
    for (
      const args of [
        ["import", tar, "Bad:Name"],
        ["import", tar, "x@sha256:abc"],
        ["tag", "a", "UPPER"],
        ["rmi", "a b"],
        ["save", "-o", join(root, "o.tar"), "::"],
      ]
    ) {
      const r = await tsbox(root, args);
      assertEquals(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert(r.stderr.startsWith("tsbox: "), r.stderr);
    }
    assert(!contentOf(root).includes("o.tar"));
    await assertEmptyStore(root);
  });
});

Deno.test("import: an unsafe rootfs tar is rejected without a trace", async () => {
  await withRoot(async (root) => {
    const outside = join(root, "outside");
    Deno.mkdirSync(outside);
    const tar = await buildTar([{ name: "x", type: "symlink", linkname: outside }, {
      name: "x/pwn",
      data: "evil",
    }]);
    const r = await tsbox(root, ["import", "-", "evil:1"], { stdin: tar });
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, 'refusing tar entry "x/pwn"');
    assertEquals(contentOf(outside), []);
    await assertEmptyStore(root);
  });
});
