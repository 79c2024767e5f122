/**
 * tag / rmi / image prune semantics through the CLI: untag vs delete,
 * shared layers kept until their last image goes, images used by
 * containers protected. Runs as root.
 */

import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { join } from "node:path";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { pathsFor } from "../../lib/paths.ts";
import { ImageStore } from "../../lib/image/store.ts";
import { dockerArchive, LAYER1, LAYER2, LAYER3, makeImage } from "./_archives.ts";
import { sha256 } from "./_tar_builder.ts";

function names(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/** Two images sharing their base layer: A = L1+L2, B = L1+L3. */
async function twoImages(root: string) {
  const a = await makeImage([LAYER1, LAYER2]);
  const b = await makeImage([LAYER1, LAYER3]);
  for (const [img, tag] of [[a, "a:1"], [b, "b:1"]] as const) {
    const r = await tsbox(root, ["load"], { stdin: await dockerArchive(img, [tag]) });
    assertEquals(r.code, 0, r.stderr);
  }
  const [l1, l2, l3] = [a.layers[0], a.layers[1], b.layers[1]].map((t) => sha256(t).slice(7));
  return { a, b, l1, l2, l3, store: new ImageStore(pathsFor(root)) };
}

Deno.test("rmi: untags first, deletes with the last tag, keeps shared layers until unreferenced", async () => {
  await withRoot(async (root) => {
    const { a, b, l1, l2, l3, store } = await twoImages(root);
    assertEquals(names(store.layout.layerDir), [l1, l2, l3].sort());
    assertEquals((await tsbox(root, ["tag", "a:1", "a:extra"])).code, 0);
    assertEquals((await tsbox(root, ["image", "tag", a.id, "reg.example:5000/a:2"])).code, 0);

    let r = await tsbox(root, ["rmi", "a:1"]);
    assertEquals([r.code, r.stdout], [0, "Untagged: a:1\n"]);
    r = await tsbox(root, ["rmi", "a:extra", "reg.example:5000/a:2"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, `Untagged: a:extra\nUntagged: reg.example:5000/a:2\nDeleted: ${a.id}\n`);
    // A's own layer and config went; the shared base stays for B
    assertEquals(names(store.layout.layerDir), [l1, l3].sort());
    assert(!names(store.layout.blobDir).includes(a.id.slice(7)));
    assert(store.lookup("b:1") !== undefined);

    r = await tsbox(root, ["rmi", b.id.slice(7, 19)]);
    assertEquals(r.stdout, `Untagged: b:1\nDeleted: ${b.id}\n`);
    assertEquals(names(store.layout.layerDir), []);
    assertEquals(names(store.layout.blobDir), []);
    assertEquals(names(store.layout.imageDir), []);

    r = await tsbox(root, ["rmi", "a:1"]);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "No such image: a:1");
  });
});

Deno.test("rmi: by id with tags in several repositories needs -f", async () => {
  await withRoot(async (root) => {
    const { a } = await twoImages(root);
    await tsbox(root, ["tag", "a:1", "elsewhere:1"]);
    let r = await tsbox(root, ["rmi", a.id]);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "must be forced");
    r = await tsbox(root, ["rmi", "-f", a.id]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.split("\n").filter(Boolean).sort(), [
      `Deleted: ${a.id}`,
      "Untagged: a:1",
      "Untagged: elsewhere:1",
    ]);
  });
});

Deno.test("rmi/prune: an image used by a container is refused, -f only untags it", async () => {
  await withRoot(async (root) => {
    const { a, store } = await twoImages(root);
    const cid = "c".repeat(64);
    const cdir = join(root, "containers", cid);
    Deno.mkdirSync(cdir, { recursive: true });
    Deno.writeTextFileSync(
      join(cdir, "container.json"),
      JSON.stringify({
        id: cid,
        name: "user",
        image: { id: a.id, ref: "a:1", layerDirs: store.lookup("a:1")!.layerDirs },
      }),
    );
    let r = await tsbox(root, ["rmi", "a:1"]);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, `container ${cid.slice(0, 12)} is using its referenced image`);
    r = await tsbox(root, ["rmi", "-f", "a:1"]);
    assertEquals([r.code, r.stdout], [0, "Untagged: a:1\n"]);
    assert(store.lookup(a.id) !== undefined, "image kept for its container");
    r = await tsbox(root, ["image", "prune", "-a", "-f"]);
    assertEquals(r.code, 0, r.stderr);
    assert(store.lookup(a.id) !== undefined, "prune -a keeps images in use");
    assert(store.lookup("b:1") === undefined, "prune -a removes unused images");
    for (const d of store.lookup(a.id)!.layerDirs) assert(Deno.statSync(d).isDirectory);
  });
});

Deno.test("image prune: removes dangling images only, -a everything unused", async () => {
  await withRoot(async (root) => {
    const { a, b, store } = await twoImages(root);
    // re-tagging b:1 onto image A leaves B dangling
    assertEquals((await tsbox(root, ["tag", "a:1", "b:1"])).code, 0);
    const ls = await tsbox(root, ["images", "--filter", "dangling=true", "-q"]);
    assertEquals(ls.stdout, `${b.id.slice(7, 19)}\n`);
    let r = await tsbox(root, ["image", "prune", "-f"]);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stdout, `deleted: ${b.id}`);
    assertStringIncludes(r.stdout, "Total reclaimed space: ");
    assert(store.lookup(b.id) === undefined);
    assertEquals(store.lookup("b:1")?.id, a.id);
    // without -f and with "n" on stdin nothing happens
    r = await tsbox(root, ["image", "prune", "-a"], { stdin: "n\n" });
    assertEquals(r.code, 0);
    assert(store.lookup("a:1") !== undefined);
    r = await tsbox(root, ["image", "prune", "-a"], { stdin: "y\n" });
    assertStringIncludes(r.stdout, `deleted: ${a.id}`);
    assertEquals(names(store.layout.layerDir), []);
    assertEquals(names(store.layout.blobDir), []);
  });
});
