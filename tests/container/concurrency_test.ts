/**
 * Many tsbox invocations at once: 20 `run -d` with parallel `ps`, then 20
 * `rm -f` with parallel `ps`: all succeed, names stay unique, state files
 * are valid JSON at every moment, nothing is left. Requires root.
 */

import { tsbox } from "../helpers/tsbox.ts";
import { assert, assertEquals, assertNoLeaks, ok, withSeededRoot } from "./_lifecycle.ts";

const N = 20;

/** Read every state.json / container.json / config.json (the OCI spec) while others write: each must parse. */
function checkStateFiles(root: string): number {
  let n = 0;
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`${root}/containers`)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0; // no container created yet
    throw err;
  }
  for (const e of entries) {
    for (const f of ["state.json", "container.json", "config.json"]) {
      let text: string;
      try {
        text = Deno.readTextFileSync(`${root}/containers/${e.name}/${f}`);
      } catch (err) {
        // created or removed right now (a dir without container.json is not listed)
        if (err instanceof Deno.errors.NotFound) continue;
        throw err;
      }
      JSON.parse(text); // throws on a torn write
      n++;
    }
  }
  return n;
}

Deno.test("run -d/rm -f: 20 concurrent containers with parallel ps stay consistent", async () => {
  await withSeededRoot(async (root) => {
    let watching = true;
    let checks = 0;
    const watcher = (async () => {
      while (watching) {
        checks += checkStateFiles(root) > 0 ? 1 : 0;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    try {
      const runs = Array.from(
        { length: N },
        (_, i) =>
          tsbox(root, [
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            `c${i}`,
            "busybox",
            "sleep",
            "300",
          ]),
      );
      // the same name twice at once: exactly one of them may win
      const dup = [0, 1].map(() =>
        tsbox(root, ["run", "-d", "--network", "none", "--name", "twin", "busybox", "sleep", "300"])
      );
      const pss = Array.from({ length: 4 }, () => tsbox(root, ["ps", "-a"]));
      const results = await Promise.all(runs);
      for (const r of results) assertEquals(r.code, 0, r.stderr);
      const twins = await Promise.all(dup);
      assertEquals(twins.map((t) => t.code).sort(), [0, 125], twins.map((t) => t.stderr).join());
      for (const p of await Promise.all(pss)) assertEquals(p.code, 0, p.stderr);

      const ids = results.map((r) => r.stdout.trim());
      assertEquals(new Set(ids).size, N);
      const names = (await ok(root, ["ps", "--format", "{{.Names}}"])).stdout.trim().split("\n");
      assertEquals(names.length, N + 1);
      assertEquals(new Set(names).size, N + 1);
      const pids = ids.map((id) =>
        JSON.parse(Deno.readTextFileSync(`${root}/containers/${id}/state.json`)).pid as number
      );
      assert(pids.every((p) => p > 0));

      const rms = [...ids, "twin"].map((id) => tsbox(root, ["rm", "-f", id]));
      const pss2 = Array.from({ length: 4 }, () => tsbox(root, ["ps", "-a"]));
      for (const r of await Promise.all(rms)) assertEquals(r.code, 0, r.stderr);
      for (const p of await Promise.all(pss2)) assertEquals(p.code, 0, p.stderr);
      assertEquals((await ok(root, ["ps", "-aq"])).stdout, "");
      assertEquals([...Deno.readDirSync(`${root}/containers`)].map((e) => e.name), []);
      assertNoLeaks(root, ids, pids);
    } finally {
      watching = false;
      await watcher;
    }
    assert(checks > 0, "the watcher never saw a state file");
  });
});
