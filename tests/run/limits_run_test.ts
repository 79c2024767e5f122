/**
 * Resource limits through `tsbox run` on this host's real cgroups.
 */

import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { seedImage } from "./_image.ts";
import { readDirNames } from "./_containers.ts";

const NONE = ["--network", "none"];

Deno.test("run -m: a memory hog is OOM-killed → 137, state records OOMKilled", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const r = await tsbox(root, [
      "run",
      "--name",
      "hog",
      ...NONE,
      "-m",
      "32m",
      "--memory-swap",
      "32m",
      "busybox",
      "sh",
      "-c",
      'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived',
    ], { timeoutMs: 60_000 });
    try {
      assertEquals(r.code, 137, r.stdout + r.stderr);
      const id = [...Deno.readDirSync(`${root}/containers`)][0].name;
      const st = JSON.parse(Deno.readTextFileSync(`${root}/containers/${id}/state.json`));
      assertEquals(st.oomKilled, true);
      assertEquals(st.exitCode, 137);
    } finally {
      await tsbox(root, ["rm", "-f", "hog"]);
    }
  });
});

Deno.test("run --pids-limit: a fork loop is capped", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const r = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "--pids-limit",
      "20",
      "busybox",
      "sh",
      "-c",
      // the counting uses builtins only: at the limit even `ps` could not fork
      "sh -c 'for i in $(seq 40); do sleep 5 & done' 2>/dev/null; set -- /proc/[0-9]*; echo $#; kill -9 -1; true",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const n = Number(r.stdout.trim().split("\n").pop());
    assert(n <= 20 && n >= 15, `processes: ${n}`);
  });
});

Deno.test("run --cpuset-cpus 0: only CPU 0 is allowed inside", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const r = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "--cpuset-cpus",
      "0",
      "busybox",
      "grep",
      "Cpus_allowed_list",
      "/proc/self/status",
    ]);
    assertEquals(r.stdout.replace(/\s+/g, " ").trim(), "Cpus_allowed_list: 0", r.stderr);
  });
});

Deno.test("run: invalid limits → 125 with a clear message, nothing created", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    for (
      const [flags, needle] of [
        [["-m", "-5m"], "memory"],
        [["-m", "12x"], "12x"],
        [["-m", "1m"], "6"],
        [["--cpuset-cpus", "999"], "999"],
        [["--cpus", "abc"], "abc"],
        [["--pids-limit", "x"], "x"],
      ] as [string[], string][]
    ) {
      const r = await tsbox(root, ["run", "--rm", ...NONE, ...flags, "busybox", "true"]);
      assertEquals(r.code, 125, flags.join(" "));
      assertStringIncludes(r.stderr, needle, flags.join(" "));
    }
    assertEquals(
      readDirNames(`${root}/containers`).length,
      0,
    );
  });
});
