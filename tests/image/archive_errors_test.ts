/**
 * Damaged archives and blobs fail in one line that names them: `save` of
 * an image whose layer blob is truncated (exit 1 as docker's CLI, no temp file left),
 * `load`/`import` of a truncated tar. Requires root (layer unpack).
 */

import { join } from "node:path";
import { assert, assertEquals } from "../helpers/assert.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { seedBusybox } from "../helpers/image_fixture.ts";

/** The largest file under `dir` (the busybox layer blob). */
function largestBlob(dir: string): string {
  let best = { path: "", size: -1 };
  for (const e of Deno.readDirSync(dir)) {
    const size = Deno.statSync(join(dir, e.name)).size;
    if (size > best.size) best = { path: join(dir, e.name), size };
  }
  return best.path;
}

/** One `tsbox:` line (plus an optional hint line), no stack trace. */
function assertOneLine(stderr: string): void {
  const lines = stderr.trim().split("\n");
  assert(lines[0].startsWith("tsbox: ") && lines.length <= 2, stderr);
  assert(!stderr.includes("    at "), stderr);
}

Deno.test("save: a truncated layer blob fails in one line, exit 1, no temp file left", async () => {
  await withRoot(async (root) => {
    await seedBusybox(root);
    const blob = largestBlob(`${root}/image/blobs/sha256`);
    Deno.truncateSync(blob, 100_000);
    const out = join(root, "out");
    Deno.mkdirSync(out);
    const r = await tsbox(root, ["save", "-o", join(out, "bb.tar"), "busybox"]);
    assertEquals(r.code, 1, r.stderr);
    assertOneLine(r.stderr);
    assert(r.stderr.includes("corrupt"), r.stderr);
    assertEquals([...Deno.readDirSync(out)].map((e) => e.name), []);
  });
});

Deno.test("load/import: a truncated tar is named in the error, and nothing is stored", async () => {
  await withRoot(async (root) => {
    await seedBusybox(root);
    const tar = join(root, "bb.tar");
    assertEquals((await tsbox(root, ["save", "-o", tar, "busybox"])).code, 0);
    const cut = join(root, "cut.tar");
    const bytes = Deno.readFileSync(tar);
    Deno.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    const fresh = join(root, "fresh");
    const load = await tsbox(fresh, ["load", "-i", cut]);
    assertEquals(load.code, 1, load.stderr);
    assertOneLine(load.stderr);
    assert(load.stderr.includes(`load ${cut}: `), load.stderr);
    const rootfs = join(root, "rootfs.tar");
    const layer = Deno.readFileSync(largestBlob(`${root}/image/blobs/sha256`));
    Deno.writeFileSync(rootfs, layer.subarray(0, Math.floor(layer.length * 0.7)));
    const imp = await tsbox(fresh, ["import", rootfs, "cut:1"]);
    assertEquals(imp.code, 1, imp.stderr);
    assertOneLine(imp.stderr);
    assert(imp.stderr.includes(`import ${rootfs}: `), imp.stderr);
    assertEquals((await tsbox(fresh, ["images", "-q"])).stdout, "");
  });
});
