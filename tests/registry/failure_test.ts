/**
 * Pull failures against a real registry: a corrupted blob (error names the
 * digest, the store is unchanged) and a connection cut mid-download (clear
 * error, the next pull resumes with `Range` and completes).
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { makeBusyboxRootfs } from "../helpers/busybox.ts";
import {
  buildImage,
  layoutBlobJson,
  layoutManifestDigest,
  pushImage,
  registryBlobPath,
  startRegistry,
  withTemp,
} from "../helpers/registry.ts";
import { startCutProxy } from "./cut_proxy.ts";
import { ImageStore } from "../../lib/image/store.ts";
import { pathsFor } from "../../lib/paths.ts";
import { listFiles } from "./tree_util.ts";

/** Store content that matters: blobs, layers, records, tags (not locks or empty leases). */
function storeContent(root: string): string[] {
  return listFiles(join(root, "image")).filter((f) =>
    !f.startsWith("leases/") && !f.startsWith("partial/")
  );
}

Deno.test("pull: a corrupted blob fails naming its digest and leaves the store unchanged", async () => {
  const reg = await startRegistry();
  try {
    await withTemp(async (tmp) => {
      const layout = join(tmp, "oci");
      await buildImage(layout, "v1", [
        { kind: "edit", edit: makeBusyboxRootfs },
        {
          kind: "edit",
          edit: (r) => Deno.writeTextFileSync(join(r, "second"), "x".repeat(100_000)),
        },
      ]);
      await pushImage(layout, "v1", `${reg.host}/test/corrupt:v1`);
      const manifest = layoutBlobJson(layout, layoutManifestDigest(layout, "v1"));
      const bad = manifest.layers[1].digest as string;
      // same length, different bytes: only the digest check can notice
      const data = Deno.readFileSync(registryBlobPath(reg, bad));
      data[Math.floor(data.length / 2)] ^= 0xff;
      Deno.writeFileSync(registryBlobPath(reg, bad), data);

      await withRoot(async (root) => {
        const before = storeContent(root);
        const r = await tsbox(root, ["pull", `${reg.host}/test/corrupt:v1`]);
        assert.equal(r.code, 1, r.stderr);
        assert.ok(r.stderr.includes(bad), `error names ${bad}: ${r.stderr}`);
        assert.match(r.stderr, /failed to verify/);
        assert.deepEqual(storeContent(root), before, "no new blobs, layers or images");
        assert.deepEqual(listFiles(join(root, "image/partial")), [], "no partial download kept");
        assert.equal(
          new ImageStore(pathsFor(root)).lookup(`${reg.host}/test/corrupt:v1`),
          undefined,
        );
      });
    });
  } finally {
    await reg.stop();
  }
});

Deno.test("pull: a connection cut mid-download fails clearly; the next pull resumes and completes", async () => {
  const reg = await startRegistry();
  let proxy: ReturnType<typeof startCutProxy> | undefined;
  try {
    await withTemp(async (tmp) => {
      const layout = join(tmp, "oci");
      const random = new Uint8Array(8 * 1024 * 1024);
      for (let i = 0; i < random.length; i += 65536) {
        crypto.getRandomValues(random.subarray(i, i + 65536));
      }
      await buildImage(layout, "v1", [
        { kind: "edit", edit: makeBusyboxRootfs },
        { kind: "edit", edit: (r) => Deno.writeFileSync(join(r, "random.bin"), random) },
      ]);
      await pushImage(layout, "v1", `${reg.host}/test/big:v1`);
      const big = layoutBlobJson(layout, layoutManifestDigest(layout, "v1")).layers[1];
      assert.ok(big.size > 8_000_000, "the random layer does not compress");

      proxy = startCutProxy(reg.port, 3_000_000);
      const ref = `${proxy.host}/test/big:v1`;
      await withRoot(async (root) => {
        proxy!.mode = "cut";
        const r = await tsbox(root, ["pull", ref]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.ok(r.stderr.includes(big.digest), `error names the blob: ${r.stderr}`);
        assert.match(r.stderr, /failed to download/);
        assert.equal(r.stderr.trim().split("\n").length, 2, `one line + hint: ${r.stderr}`);
        const partial = join(root, "image/partial", big.digest.slice(7));
        const kept = Deno.statSync(partial).size;
        assert.ok(kept > 1_000_000 && kept < big.size, `partial download kept (${kept} bytes)`);
        assert.equal(new ImageStore(pathsFor(root)).lookup(ref), undefined);

        proxy!.mode = "pass";
        proxy!.requests.length = 0;
        const again = await tsbox(root, ["pull", ref]);
        assert.equal(again.code, 0, again.stdout + again.stderr);
        const ranges = proxy!.requests.filter((h) => /^range: bytes=\d+-/im.test(h));
        assert.equal(ranges.length, 1, "the second pull resumed with a Range request");
        assert.match(ranges[0], new RegExp(`range: bytes=${kept}-`, "i"));
        const img = new ImageStore(pathsFor(root)).lookup(ref);
        assert.ok(img);
        assert.deepEqual(Deno.readFileSync(join(img.layerDirs[1], "random.bin")), random);
        assert.deepEqual(listFiles(join(root, "image/partial")), []);
      });
    });
  } finally {
    await proxy?.stop();
    await reg.stop();
  }
});
