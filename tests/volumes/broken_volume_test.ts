/**
 * A volume whose volume.json is garbage breaks nothing else: `volume ls`
 * and the prunes skip it with a warning naming the file, `volume rm
 * [-f] NAME` removes it, and other volumes' data stays intact. Requires root.
 */

import { assert, assertEquals } from "../helpers/assert.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";

async function ok(root: string, args: string[]) {
  const r = await tsbox(root, args);
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r;
}

Deno.test("volume store: a garbage volume.json is named, skipped, and removable", async () => {
  await withRoot(async (root) => {
    await ok(root, ["volume", "create", "keep"]);
    await ok(root, ["volume", "create", "bad"]);
    await ok(root, ["volume", "create", "bad2"]);
    Deno.writeTextFileSync(`${root}/volumes/keep/_data/f`, "precious\n");
    const file = `${root}/volumes/bad/volume.json`;
    Deno.writeTextFileSync(file, '{"Name": "ba');
    Deno.writeTextFileSync(`${root}/volumes/bad2/volume.json`, "[1,2]");
    const ls = await ok(root, ["volume", "ls", "-q"]);
    assertEquals(ls.stdout, "keep\n");
    assert(ls.stderr.includes(`skipping volume bad: corrupt ${file}`), ls.stderr);
    const insp = await tsbox(root, ["volume", "inspect", "bad"]);
    assert(insp.code !== 0 && insp.stderr.includes(file), insp.stderr);
    await ok(root, ["system", "prune", "-f", "--volumes"]);
    await ok(root, ["volume", "prune", "-f"]);
    assertEquals((await ok(root, ["volume", "rm", "-f", "bad"])).stdout, "bad\n");
    assertEquals((await ok(root, ["volume", "rm", "bad2"])).stdout, "bad2\n");
    assertEquals(Deno.readTextFileSync(`${root}/volumes/keep/_data/f`), "precious\n");
    const pruned = await ok(root, ["volume", "prune", "-a", "-f"]);
    assert(pruned.stdout.includes("keep"), pruned.stdout);
    assertEquals((await ok(root, ["volume", "ls", "-q"])).stdout, "");
  });
});
