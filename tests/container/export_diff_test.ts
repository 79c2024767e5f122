/**
 * `diff`, `export` and `history` on a changed container and its commit:
 * docker's A/C/D lines and order, a flattened tar that is the container's
 * view (whiteouts and opaque dirs applied), history rows and formats.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { sh, withTemp } from "../helpers/registry.ts";
import { seedImage } from "../run/_image.ts";
import { changedContainer, mustPass } from "./_changed.ts";

Deno.test("diff: A/C/D lines in docker's order; an untouched container has none", async () => {
  await withRoot(async (root) => {
    await changedContainer(root);
    const r = mustPass(await tsbox(root, ["diff", "c1"]));
    assert.deepEqual(r.stdout.trim().split("\n"), [
      "A /cdev",
      "C /etc",
      "D /etc/group",
      "A /new",
      "A /newlink",
      "D /opq",
      "A /opq/fresh",
    ]);
    mustPass(await tsbox(root, ["run", "--name", "quiet", "--network", "none", "busybox", "true"]));
    assert.equal(mustPass(await tsbox(root, ["diff", "quiet"])).stdout, "");
    const bad = await tsbox(root, ["diff", "nope"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /No such container: nope/);
  });
});

Deno.test("export: the flattened tar is the container's view, the same bytes each time", async () => {
  await withRoot(async (root) => {
    await changedContainer(root);
    await withTemp(async (tmp) => {
      const file = join(tmp, "c1.tar");
      mustPass(await tsbox(root, ["export", "-o", file, "c1"]));
      const names = (await sh("tar", ["-tf", file])).trim().split("\n");
      for (
        const n of ["bin/busybox", "new", "newlink", "opq/", "opq/fresh", "etc/passwd", "cdev"]
      ) {
        assert.ok(names.includes(n), `${n} in the export`);
      }
      for (const n of ["etc/group", "opq/old1", "opq/old2"]) assert.ok(!names.includes(n), n);
      assert.ok(!names.some((n) => n.includes(".wh.")), "no whiteout entries");
      const verbose = await sh("tar", ["-tvf", file, "newlink", "cdev"]);
      assert.match(verbose, /^h.* newlink link to new$/m);
      assert.match(verbose, /^c.* 1,\s*3 .*cdev$/m);
      const out = join(tmp, "x");
      Deno.mkdirSync(out);
      await sh("tar", ["-xf", file, "-C", out, "new", "opq"]);
      assert.equal(Deno.readTextFileSync(join(out, "new")), "hi\n");
      // stdout carries the same bytes
      const cmd = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", "main.ts", "--root", root, "export", "c1"],
        cwd: new URL("../..", import.meta.url).pathname,
        stdout: "piped",
        stderr: "piped",
      });
      const o = await cmd.output();
      assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
      assert.deepEqual(o.stdout, Deno.readFileSync(file));
    });
    const bad = await tsbox(root, ["export", "-o", "/nonexistent-dir/x.tar", "nope"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /No such container: nope/);
  });
});

Deno.test("history: newest first, sizes, -q, --no-trunc, --format", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    mustPass(
      await tsbox(root, [
        "run",
        "--name",
        "hh",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "echo 12345 > /five-plus-newline-is-six-bytes-long-name-for-truncation",
      ]),
    );
    const id = mustPass(await tsbox(root, ["commit", "-m", "step two", "hh", "hist:1"])).stdout
      .trim();
    const table = mustPass(await tsbox(root, ["history", "hist:1"])).stdout.trimEnd().split("\n");
    assert.match(table[0], /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    assert.equal(table.length, 3);
    assert.ok(table[1].startsWith(id.slice(7, 19)), table[1]);
    assert.match(table[1], /sh -c echo 12345 > \/five-plus-newline-is-six…/);
    assert.match(table[1], /step two$/);
    assert.match(table[2], /^<missing>/);
    const q = mustPass(await tsbox(root, ["history", "-q", "hist:1"])).stdout.trim().split("\n");
    assert.deepEqual(q, [id.slice(7, 19), "<missing>"]);
    const full = mustPass(await tsbox(root, ["history", "--no-trunc", "-q", "hist:1"])).stdout;
    assert.equal(full.split("\n")[0], id);
    // as docker's history context: --format values are truncated and human unless told otherwise
    const short = mustPass(await tsbox(root, ["history", "--format", "{{json .}}", "hist:1"]))
      .stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(short[0].ID, id.slice(7, 19));
    assert.match(short[0].Size, /^\d+(\.\d+)?kB$/);
    const json = mustPass(
      await tsbox(root, ["history", "--no-trunc", "-H=false", "--format", "{{json .}}", "hist:1"]),
    ).stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(json[0].ID, id);
    assert.equal(json[0].Comment, "step two");
    assert.ok(Number(json[0].Size) >= 1024, "the new layer's tar size");
    const fields = mustPass(
      await tsbox(root, [
        "history",
        "--no-trunc",
        "--format",
        "{{.Comment}}|{{.CreatedBy}}",
        "hist:1",
      ]),
    ).stdout.split("\n")[0];
    assert.equal(
      fields,
      "step two|sh -c echo 12345 > /five-plus-newline-is-six-bytes-long-name-for-truncation",
    );
    const bad = await tsbox(root, ["history", "nope:1"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /No such image: nope:1/);
  });
});
