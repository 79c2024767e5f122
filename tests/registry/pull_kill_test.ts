/**
 * A pull SIGKILLed after each of its renames (blob adoption, layer
 * unpack, image record, tags): `images` tells the truth (the image is
 * there whole or not at all), `system prune -a -f` leaves no blob, layer,
 * temp file or partial behind, and the next pull completes. Requires
 * root, strace and the docker-registry package.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { hasCommand, tsbox, withRoot } from "../helpers/tsbox.ts";
import { makeBusyboxRootfs } from "../helpers/busybox.ts";
import { buildImage, pushImage, startRegistry, withTemp } from "../helpers/registry.ts";
import { killAt, names } from "../container/_fault.ts";
import { listFiles } from "./tree_util.ts";

/** Store files that are content (the tags file and leases of live processes aside). */
function storeFiles(root: string): string[] {
  return listFiles(join(root, "image")).filter((f) =>
    !f.startsWith("leases/") && f !== "repositories.json"
  );
}

Deno.test({
  name: "pull: killed after each rename, the store is whole or cleanable and the next pull works",
  ignore: !hasCommand("strace"),
  fn: async () => {
    const reg = await startRegistry();
    try {
      await withTemp(async (tmp) => {
        const layout = join(tmp, "oci");
        await buildImage(layout, "v1", [
          { kind: "edit", edit: makeBusyboxRootfs },
          {
            kind: "edit",
            edit: (r) => Deno.writeTextFileSync(join(r, "second"), "x".repeat(5000)),
          },
        ]);
        const ref = `${reg.host}/test/killed:v1`;
        await pushImage(layout, "v1", ref);
        await withRoot(async (root) => {
          assert.equal((await tsbox(root, ["pull", "-q", ref])).code, 0); // warm the cache
          assert.equal((await tsbox(root, ["rmi", ref])).code, 0);
          let n = 1;
          for (;; n++) {
            const r = await killAt(root, ["pull", "-q", ref], {
              syscall: "rename",
              n,
              follow: false,
            });
            const images = (await tsbox(root, ["images", "-q"])).stdout.trim();
            assert.equal((await tsbox(root, ["images", "-q"])).code, 0);
            if (images) {
              // there: it must run
              const run = await tsbox(root, [
                "run",
                "--rm",
                "--network",
                "none",
                ref,
                "cat",
                "/second",
              ]);
              assert.equal(run.code, 0, `after a kill at rename #${n}: ${run.stderr}`);
            }
            const prune = await tsbox(root, ["system", "prune", "-a", "-f"]);
            assert.equal(prune.code, 0, prune.stderr);
            assert.deepEqual(storeFiles(root), [], `after a kill at rename #${n}`);
            assert.deepEqual(names(join(root, "image", "partial")), []);
            if (!r.killed) break;
            assert.ok(n < 40, "no end to the renames of a pull");
          }
          assert.ok(n > 3, `only ${n - 1} phases hit`);
          console.log("pull: killed after each of", n - 1, "renames");
          assert.equal((await tsbox(root, ["pull", "-q", ref])).code, 0);
        });
      });
    } finally {
      await reg.stop();
    }
  },
});
