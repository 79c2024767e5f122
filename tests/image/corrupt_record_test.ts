/**
 * A truncated image record is named and skipped (`images`), named where
 * it is asked for (`run`), protected while a container stacks its layers,
 * and removed with its content by `image prune`; a corrupt tag index is
 * named. Requires root.
 */

import { join } from "node:path";
import { assert, assertEquals } from "../helpers/assert.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { seedBusybox } from "../helpers/image_fixture.ts";
import { names } from "../container/_fault.ts";

async function ok(root: string, args: string[]) {
  const r = await tsbox(root, args);
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r;
}

Deno.test("image store: a truncated record is named, skipped, kept while used, pruned after", async () => {
  await withRoot(async (root) => {
    await seedBusybox(root);
    const c = (await ok(root, ["create", "--network", "none", "busybox", "true"])).stdout.trim();
    const [rec] = names(join(root, "image/images"));
    const file = join(root, "image/images", rec);
    Deno.truncateSync(file, 40);
    const images = await ok(root, ["images"]);
    assert(images.stderr.includes(`corrupt record ${file}`), images.stderr);
    const run = await tsbox(root, ["run", "--rm", "--network", "none", "busybox", "true"]);
    assertEquals(run.code, 125, run.stderr);
    assert(run.stderr.includes(`corrupt image record ${file}`), run.stderr);
    // the container stacks its layers: prune keeps them, and it still runs
    await ok(root, ["image", "prune", "-a", "-f"]);
    await ok(root, ["start", "-a", c]);
    await ok(root, ["rm", c]);
    const pruned = await ok(root, ["image", "prune", "-f"]);
    assert(pruned.stdout.includes(rec.replace(/\.json$/, "")), pruned.stdout);
    for (const d of ["images", "layers", "blobs/sha256"]) {
      assertEquals(names(join(root, "image", d)), [], `image/${d} after prune`);
    }
    assertEquals((await ok(root, ["images", "-q"])).stderr, "");
  });
});

Deno.test("image store: a corrupt tag index is named in one line", async () => {
  await withRoot(async (root) => {
    await seedBusybox(root);
    const file = join(root, "image/repositories.json");
    Deno.truncateSync(file, 10);
    const r = await tsbox(root, ["images"]);
    assertEquals(r.code, 1, r.stderr); // docker's CLI: 1 for a failed non-run command
    assert(r.stderr.startsWith(`tsbox: corrupt tag index ${file}: `), r.stderr);
  });
});
