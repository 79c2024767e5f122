/**
 * Pure parts of `cp`: operand parsing and docker's destination rules.
 * @module
 */

import assert from "node:assert/strict";
import { copyTarget, parseCopyEnd, sourceBase } from "../../lib/copy/copy_rules.ts";

const file = { base: "f", isDir: false };
const dir = { base: "d", isDir: true };
const missing = { exists: false, isDir: false, parentIsDir: true };
const existingDir = { exists: true, isDir: true, parentIsDir: true };
const existingFile = { exists: true, isDir: false, parentIsDir: true };

Deno.test("parseCopyEnd: container paths, host paths and '-'", () => {
  assert.deepEqual(parseCopyEnd("-"), { kind: "stream" });
  assert.deepEqual(parseCopyEnd("c1:/etc"), { kind: "container", container: "c1", path: "/etc" });
  assert.deepEqual(parseCopyEnd("c1:"), { kind: "container", container: "c1", path: "/" });
  assert.deepEqual(parseCopyEnd("./a:b"), { kind: "host", path: "./a:b" });
  assert.deepEqual(parseCopyEnd("/tmp/x"), { kind: "host", path: "/tmp/x" });
});

Deno.test("copyTarget: a file lands under the destination's name or inside a directory", () => {
  assert.deepEqual(copyTarget("/f", file, "/t/new", missing), { dir: "/t", name: "new" });
  assert.deepEqual(copyTarget("/f", file, "/t/old", existingFile), { dir: "/t", name: "old" });
  assert.deepEqual(copyTarget("/f", file, "/t/d", existingDir), { dir: "/t/d", name: "f" });
  assert.deepEqual(copyTarget("/f", file, "/t/d/", existingDir), { dir: "/t/d", name: "f" });
  assert.throws(() => copyTarget("/f", file, "/t/new/", missing), /no such directory/);
  assert.throws(() => copyTarget("/f/", file, "/t", existingDir), /not a directory/);
  assert.throws(
    () => copyTarget("/f", file, "/x/y", { ...missing, parentIsDir: false }),
    /no such directory/,
  );
});

Deno.test("copyTarget: a directory is created, nested, or its contents copied with /.", () => {
  assert.deepEqual(copyTarget("/d", dir, "/t/new", missing), { dir: "/t", name: "new" });
  assert.deepEqual(copyTarget("/d", dir, "/t/e", existingDir), { dir: "/t/e", name: "d" });
  assert.deepEqual(copyTarget("/d/.", dir, "/t/e", existingDir), { dir: "/t/e", name: "" });
  assert.deepEqual(copyTarget("/d/", dir, "/t/e", existingDir), { dir: "/t/e", name: "d" });
  assert.throws(() => copyTarget("/d", dir, "/t/f", existingFile), /cannot copy directory/);
});

Deno.test("sourceBase: the archive's top name", () => {
  assert.equal(sourceBase("/etc/passwd"), "passwd");
  assert.equal(sourceBase("/etc/"), "etc");
  assert.equal(sourceBase("/etc/."), "etc");
  assert.equal(sourceBase("/"), ".");
  assert.equal(sourceBase("rel/dir"), "dir");
});
