/**
 * Unit tests of COPY's source selection and destination rules
 * (`select`, `planCopy`) on an in-memory tree. Pure.
 * @module
 */

import assert from "node:assert/strict";
import { select, type SourceTree } from "../../lib/build/sources.ts";
import { planCopy } from "../../lib/build/copy_layer.ts";
import type { WalkEntry } from "../../lib/image/layer_walk.ts";

function entry(path: string, type: WalkEntry["type"] = "file"): WalkEntry {
  return {
    path,
    type,
    mode: type === "dir" ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    mtime: 0,
    size: 0,
    xattrs: [],
  };
}

const tree: SourceTree = {
  what: "build context",
  entries: [
    entry("a.txt"),
    entry("b.txt"),
    entry("src", "dir"),
    entry("src/main.c"),
    entry("src/sub", "dir"),
    entry("src/sub/x.h"),
    entry("link", "symlink"),
  ],
};

const plan = (srcs: string[], dest: string) =>
  planCopy({ sources: srcs.flatMap((s) => select(tree, s)), dest, baseLayers: [] })
    .map((p) => `${p.ensureDir ? "mkdir " : ""}${p.dest}`);

Deno.test("select: a path, a glob within one component, the whole tree, nothing", () => {
  assert.deepEqual(select(tree, "a.txt").map((s) => s.path), ["a.txt"]);
  assert.deepEqual(select(tree, "./src/../a.txt").map((s) => s.path), ["a.txt"]);
  assert.deepEqual(select(tree, "*.txt").map((s) => s.path), ["a.txt", "b.txt"]);
  assert.deepEqual(select(tree, "src/*").map((s) => s.path), ["src/main.c", "src/sub"]);
  assert.deepEqual(select(tree, "src")[0].children.map((c) => c.path), [
    "main.c",
    "sub",
    "sub/x.h",
  ]);
  assert.equal(select(tree, ".")[0].children.length, tree.entries.length);
  assert.deepEqual(select(tree, "nope"), []);
  assert.deepEqual(select(tree, "*.md"), []);
});

Deno.test("planCopy: a file becomes the destination, or goes into a directory ending in /", () => {
  assert.deepEqual(plan(["a.txt"], "/x/y.txt"), ["x/y.txt"]);
  assert.deepEqual(plan(["a.txt"], "/x/"), ["x/a.txt"]);
  assert.deepEqual(plan(["*.txt"], "/x/"), ["x/a.txt", "x/b.txt"]);
  assert.deepEqual(plan(["link"], "/l"), ["l"], "a symlink is copied as itself");
});

Deno.test("planCopy: a directory source copies its contents, the destination is only ensured", () => {
  assert.deepEqual(plan(["src"], "/app"), ["mkdir app", "app/main.c", "app/sub", "app/sub/x.h"]);
  assert.deepEqual(plan(["src/"], "/"), ["main.c", "sub", "sub/x.h"]);
});
