/**
 * A missing unpacked layer is named (with the way to repair the image)
 * by `run` and by `start`, before any init is spawned. Requires root.
 */

import { tsbox } from "../helpers/tsbox.ts";
import { assert, assertEquals, cli, ok, withSeededRoot } from "./_lifecycle.ts";
import { names } from "./_fault.ts";

Deno.test("run/start: a missing unpacked layer is named, with rmi and re-pull offered", async () => {
  await withSeededRoot(async (root) => {
    const created = (await ok(root, cli("create --network none --name later busybox true"))).stdout
      .trim();
    const layers = `${root}/image/layers`;
    const [layer] = names(layers);
    Deno.removeSync(`${layers}/${layer}`, { recursive: true });
    const run = await tsbox(root, cli("run --rm --network none busybox true"));
    assertEquals(run.code, 125, run.stderr);
    assert(run.stderr.includes(`unpacked layer ${layer} is missing`), run.stderr);
    assert(run.stderr.includes("rmi") && !run.stderr.includes("mount"), run.stderr);
    const start = await tsbox(root, ["start", "-a", "later"]);
    assert(start.code !== 0, start.stderr);
    assert(start.stderr.includes(`unpacked layer ${layer} is missing`), start.stderr);
    const st = (await ok(root, cli("ps -a --no-trunc --format {{.ID}}_{{.State}}"))).stdout;
    assertEquals(st, `${created}_created\n`);
  });
});
