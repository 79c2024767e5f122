/**
 * Partial downloads never outlive their use: a pull that fails writing
 * locally (a full disk) keeps no partial blob; a partial a cut-off pull
 * left is removed by `image prune`/`system prune` unless a pull holds it.
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
  startRegistry,
  type TestRegistry,
  withTemp,
} from "../helpers/registry.ts";
import { startCutProxy } from "./cut_proxy.ts";
import { listFiles } from "./tree_util.ts";
import { withTmpfsRoot } from "../container/_fault.ts";
import { blobLockPath } from "../../lib/image/partials.ts";

/** Push an image whose second layer is 8 MiB of random bytes; returns that layer's digest. */
async function pushBig(reg: TestRegistry, tmp: string, name: string): Promise<string> {
  const layout = join(tmp, "oci");
  const random = new Uint8Array(8 * 1024 * 1024);
  for (let i = 0; i < random.length; i += 65536) {
    crypto.getRandomValues(random.subarray(i, i + 65536));
  }
  await buildImage(layout, "v1", [
    { kind: "edit", edit: makeBusyboxRootfs },
    { kind: "edit", edit: (r) => Deno.writeFileSync(join(r, "random.bin"), random) },
  ]);
  await pushImage(layout, "v1", `${reg.host}/${name}:v1`);
  return layoutBlobJson(layout, layoutManifestDigest(layout, "v1")).layers[1].digest as string;
}

Deno.test("pull: ENOSPC while writing a blob keeps no partial, names the blob, exit 1", async () => {
  const reg = await startRegistry();
  try {
    await withTemp(async (tmp) => {
      await pushBig(reg, tmp, "test/full");
      await withTmpfsRoot(7, async (root) => {
        const r = await tsbox(root, ["pull", `${reg.host}/test/full:v1`]);
        assert.equal(r.code, 1, r.stderr);
        // whichever layer hit the full disk first is named; the others were cancelled
        assert.ok(/sha256:[0-9a-f]{64}/.test(r.stderr), r.stderr);
        // the blob write says it as the OS does, the streaming unpack as tsbox words errnos
        assert.ok(/no space left on device/i.test(r.stderr), r.stderr);
        assert.deepEqual(listFiles(join(root, "image/partial")), [], "no partial kept");
      }, { seed: false });
    });
  } finally {
    await reg.stop();
  }
});

Deno.test("image prune/system prune: remove partial downloads no pull holds", async () => {
  const reg = await startRegistry();
  let proxy: ReturnType<typeof startCutProxy> | undefined;
  try {
    await withTemp(async (tmp) => {
      const big = await pushBig(reg, tmp, "test/cut");
      proxy = startCutProxy(reg.port, 3_000_000);
      proxy.mode = "cut";
      await withRoot(async (root) => {
        const r = await tsbox(root, ["pull", `${proxy!.host}/test/cut:v1`]);
        assert.equal(r.code, 1, r.stderr);
        const partial = join(root, "image/partial", big.slice(7));
        assert.ok(Deno.statSync(partial).size > 0, "the cut pull kept its partial");
        // while a pull holds the blob's lock, the partial stays
        const lock = Deno.openSync(blobLockPath(join(root, "locks"), big), { write: true });
        try {
          assert.ok(lock.tryLockSync(true));
          assert.equal((await tsbox(root, ["image", "prune", "-f"])).code, 0);
          assert.ok(Deno.statSync(partial).size > 0, "a held partial is kept");
        } finally {
          lock.close();
        }
        const pruned = await tsbox(root, ["image", "prune", "-f"]);
        assert.equal(pruned.code, 0, pruned.stderr);
        assert.deepEqual(listFiles(join(root, "image/partial")), []);
        // and system prune does the same (a partial as a killed pull leaves it)
        Deno.writeFileSync(partial, new Uint8Array(100_000));
        assert.equal((await tsbox(root, ["system", "prune", "-f"])).code, 0);
        assert.deepEqual(listFiles(join(root, "image/partial")), []);
      });
    });
  } finally {
    await proxy?.stop();
    await reg.stop();
  }
});
