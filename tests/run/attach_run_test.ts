/**
 * `run -a/--attach`: a foreground run connects only the streams named,
 * as docker does; `-a` with `-d` is refused before anything is created.
 * Requires root.
 */

import { assertEquals } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import { containerIds, withSeededRoot } from "../container/_lifecycle.ts";

const OUT_ERR = ["busybox", "sh", "-c", "echo out; echo err >&2"];
const run = (root: string, flags: string[], cmd = OUT_ERR, stdin?: string) =>
  tsbox(root, ["run", "--rm", "--network", "none", ...flags, ...cmd], { stdin });

Deno.test("run -a: only the attached streams reach the caller", async () => {
  await withSeededRoot(async (root) => {
    const both = await run(root, []);
    assertEquals([both.code, both.stdout, both.stderr], [0, "out\n", "err\n"]);
    const out = await run(root, ["-a", "stdout"]);
    assertEquals([out.code, out.stdout, out.stderr], [0, "out\n", ""]);
    const err = await run(root, ["-a", "STDERR"]);
    assertEquals([err.code, err.stdout, err.stderr], [0, "", "err\n"]);
    const cat = ["busybox", "sh", "-c", "cat; echo end"];
    const withIn = await run(root, ["-i", "-a", "stdin", "-a", "stdout"], cat, "hello\n");
    assertEquals([withIn.code, withIn.stdout], [0, "hello\nend\n"]);
    const noIn = await run(root, ["-i", "-a", "stdout"], cat, "hello\n");
    assertEquals([noIn.code, noIn.stdout], [0, "end\n"]); // stdin not attached: EOF at once
    const tty = await run(root, ["-t", "-a", "stderr"], ["busybox", "echo", "hidden"]);
    assertEquals([tty.code, tty.stdout], [0, ""]);
    assertEquals(containerIds(root), []);
  });
});

Deno.test("run -a: with -d or a bad stream: exit 125, one line, nothing created", async () => {
  await withSeededRoot(async (root) => {
    const d = await run(root, ["-d", "-a", "stdout"]);
    assertEquals([d.code, d.stderr], [125, "tsbox: Conflicting options: -a and -d\n"]);
    const bad = await run(root, ["-a", "stdlog"]);
    assertEquals(bad.code, 125);
    assertEquals(bad.stderr.split("\n").length, 2, bad.stderr);
    assertEquals(containerIds(root), []);
  });
});
