/**
 * The ImageStore API the registry client and the run path code against:
 * blobs (verify, adopt), unpackLayer (idempotent, zstd), commitImage (diff
 * ids, tag moves, repo digests), lookup forms, leases vs GC, concurrency.
 * Runs as root (layers are unpacked with the real kernel).
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "../helpers/assert.ts";
import { join } from "node:path";
import { zstdCompressSync } from "node:zlib";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { pathsFor } from "../../lib/paths.ts";
import { ImageStore } from "../../lib/image/store.ts";
import { ImageError } from "../../lib/errors.ts";
import { dockerArchive, makeImage } from "./_archives.ts";
import { buildTar, gzip, json, sha256 } from "./_tar_builder.ts";

function hidden(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("."));
}

async function oneLayerImage(
  store: ImageStore,
  layer: Uint8Array,
  names: string[],
  manifestDigest?: string,
) {
  const tar = await buildTar([{ name: "f", data: "content" }]);
  const diffId = sha256(tar);
  const digest = sha256(layer);
  await store.writeBlob(digest, layer);
  const config = json({
    created: new Date().toISOString(),
    config: {},
    rootfs: { type: "layers", diff_ids: [diffId] },
  });
  return await store.commitImage({
    config,
    layers: [{
      digest,
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      size: layer.length,
    }],
    manifestDigest,
    names,
  });
}

Deno.test("ImageStore.writeBlob: verifies digest and size, leaves nothing on mismatch", async () => {
  await withRoot(async (root) => {
    const store = new ImageStore(pathsFor(root));
    const data = new TextEncoder().encode("blob data");
    const path = await store.writeBlob(sha256(data), new Blob([data]).stream(), {
      size: data.length,
    });
    assertEquals(Deno.readFileSync(path), data);
    assert(store.hasBlob(sha256(data)));
    const wrong = sha256(new TextEncoder().encode("other"));
    const err = await assertRejects(
      () => store.writeBlob(wrong, data),
      ImageError,
      "digest mismatch",
    );
    assertStringIncludes(err.message, wrong);
    await assertRejects(
      () => store.writeBlob(sha256(data.subarray(1)), data.subarray(1), { size: 3 }),
      ImageError,
      "size mismatch",
    );
    await assertRejects(() => store.writeBlob("md5:abc", data), ImageError, "digest");
    assertEquals(hidden(store.layout.blobDir), []);
    assertEquals(store.hasBlob(wrong), false);
    // adoptBlob: a corrupt download is removed, a good one moved in
    const part = store.partialPath(wrong);
    Deno.writeFileSync(part, data);
    await assertRejects(() => store.adoptBlob(wrong, part), ImageError, "digest mismatch");
    assertEquals([...Deno.readDirSync(store.layout.partialDir)], []);
    const good = new TextEncoder().encode("downloaded");
    Deno.writeFileSync(store.partialPath(sha256(good)), good);
    await store.adoptBlob(sha256(good), store.partialPath(sha256(good)));
    assertEquals(Deno.readFileSync(store.blobPath(sha256(good))), good);
    store.close();
  });
});

Deno.test("ImageStore.unpackLayer: zstd, idempotent, unsupported media types refused", async () => {
  await withRoot(async (root) => {
    const store = new ImageStore(pathsFor(root));
    const tar = await buildTar([{ name: "etc/z", data: "zstd layer" }]);
    const z = new Uint8Array(zstdCompressSync(tar));
    await store.writeBlob(sha256(z), z);
    const first = await store.unpackLayer(sha256(z), "application/vnd.oci.image.layer.v1.tar+zstd");
    assertEquals(first.diffId, sha256(tar));
    assertEquals(Deno.readTextFileSync(join(first.dir, "etc/z")), "zstd layer");
    Deno.writeTextFileSync(join(first.dir, "marker"), "same dir");
    const again = await store.unpackLayer(sha256(z), "application/vnd.oci.image.layer.v1.tar+zstd");
    assertEquals(again, first);
    assert(Deno.statSync(join(again.dir, "marker")).isFile, "reused, not re-extracted");
    await assertRejects(
      () => store.unpackLayer(sha256(z), "application/vnd.oci.image.layer.v1.tar+bzip2"),
      ImageError,
      "unsupported media type",
    );
    const corrupt = gzip(tar).slice(0, 40);
    await store.writeBlob(sha256(corrupt), corrupt);
    await assertRejects(() => store.unpackLayer(sha256(corrupt), ""), ImageError);
    assertEquals(hidden(store.layout.layerDir), []);
    store.close();
  });
});

Deno.test("ImageStore.lookup: short name, full name, id, id prefix, repo digest", async () => {
  await withRoot(async (root) => {
    const store = new ImageStore(pathsFor(root));
    const layer = gzip(await buildTar([{ name: "f", data: "content" }]));
    const mdigest = sha256(json("a manifest"));
    const img = await oneLayerImage(store, layer, ["docker.io/library/busybox:latest"], mdigest);
    assertEquals(img.ref, "docker.io/library/busybox:latest");
    for (
      const ref of [
        "busybox",
        "busybox:latest",
        "docker.io/library/busybox",
        img.id,
        img.id.slice(7),
        img.id.slice(0, 12),
        img.id.slice(7, 15),
        `busybox@${mdigest}`,
      ]
    ) {
      assertEquals(store.lookup(ref)?.id, img.id, ref);
    }
    assertEquals(store.lookup(`busybox@${mdigest}`)?.ref, `docker.io/library/busybox@${mdigest}`);
    assertEquals(store.lookup("busybox:other"), undefined);
    assertEquals(store.lookup("alpine"), undefined);
    assertEquals(store.lookup(sha256(json("nothing"))), undefined);
    assertEquals(
      store.lookup(img.layerDirs[0].slice(-64)),
      undefined,
      "a layer id is not an image id",
    );
    assertEquals(store.lookup(img.id)?.layerDirs.length, 1);
    store.close();
  });
});

Deno.test("ImageStore.commitImage: moves tags like docker, rejects diff id mismatch without a record", async () => {
  await withRoot(async (root) => {
    const store = new ImageStore(pathsFor(root));
    const layer = gzip(await buildTar([{ name: "f", data: "content" }]));
    const one = await oneLayerImage(store, layer, ["x:1"]);
    await new Promise((r) => setTimeout(r, 5)); // a different created time, so a different config
    const two = await oneLayerImage(store, layer, ["x:1", "x:2"]);
    assert(one.id !== two.id);
    assertEquals(store.lookup("x:1")?.id, two.id);
    assertEquals(store.list().find((s) => s.id === one.id)?.tags, []);
    const bad = json({ rootfs: { type: "layers", diff_ids: [sha256(json("x"))] } });
    await assertRejects(
      () =>
        store.commitImage({
          config: bad,
          layers: [{ digest: sha256(layer), mediaType: "", size: layer.length }],
          names: ["bad:1"],
        }),
      ImageError,
      "does not match the image config",
    );
    assertEquals(store.lookup("bad:1"), undefined);
    assertEquals(store.lookup(sha256(bad)), undefined);
    store.close();
  });
});

Deno.test("ImageStore.gc: a live lease protects uncommitted content, a dead one does not", async () => {
  await withRoot(async (root) => {
    const ingest = new ImageStore(pathsFor(root));
    const data = new TextEncoder().encode("being pulled");
    await ingest.writeBlob(sha256(data), data);
    const other = new ImageStore(pathsFor(root));
    await other.gc();
    assert(other.hasBlob(sha256(data)), "kept while the lease lives");
    other.close();
    ingest.close();
    // a lease of a process that no longer exists protects nothing
    Deno.writeTextFileSync(join(ingest.layout.leaseDir, "999999999.1-dead"), `${sha256(data)}\n`);
    const r = await new ImageStore(pathsFor(root)).gc();
    assertEquals(r.blobs, [sha256(data)]);
    assertEquals([...Deno.readDirSync(ingest.layout.leaseDir)], []);
  });
});

Deno.test("load: concurrent loads of the same archive and a concurrent prune leave a consistent store", async () => {
  await withRoot(async (root) => {
    const img = await makeImage();
    const file = join(root, "a.tar");
    Deno.writeFileSync(file, await dockerArchive(img, ["app:1"]));
    const results = await Promise.all([
      tsbox(root, ["load", "-i", file]),
      tsbox(root, ["load", "-i", file]),
      tsbox(root, ["image", "prune", "-a", "-f"]),
      tsbox(root, ["load", "-i", file]),
    ]);
    for (const r of results.filter((_, i) => i !== 2)) {
      // a load may only fail by a prune that raced it, and must then say so
      if (r.code !== 0) assertStringIncludes(r.stderr, "concurrent prune");
    }
    const loaded = await tsbox(root, ["load", "-i", file]);
    assertEquals(loaded.code, 0, loaded.stderr);
    const store = new ImageStore(pathsFor(root));
    const res = store.lookup("app:1")!;
    assertEquals(res.id, img.id);
    for (const d of res.layerDirs) assert(Deno.statSync(d).isDirectory);
    assertEquals([...Deno.readDirSync(store.layout.layerDir)].length, 3);
    assertEquals(hidden(store.layout.layerDir), []);
    assertEquals(hidden(store.layout.blobDir), []);
  });
});
