/** OCI linux.cgroupsPath parsing (pure). */

import assert from "node:assert/strict";
import { normalizeCgroupsPath, parentDirs, parseCgroupsPath } from "../../lib/cgroup/mod.ts";
import { CgroupError } from "../../lib/errors.ts";

const ID = "ab".repeat(32);

Deno.test("parseCgroupsPath: the callers' absolute forms split into components", () => {
  assert.deepEqual(parseCgroupsPath(`/docker/${ID}`), ["docker", ID]);
  assert.deepEqual(parseCgroupsPath(`/tsboxtest/c-run`), ["tsboxtest", "c-run"]);
  assert.deepEqual(parseCgroupsPath(`/libpod_parent/libpod-${ID}`), [
    "libpod_parent",
    `libpod-${ID}`,
  ]);
  assert.deepEqual(parseCgroupsPath(`/tsbox-${ID}`), [`tsbox-${ID}`]);
});

Deno.test("parseCgroupsPath: a relative path is placed below the hierarchy root too", () => {
  assert.deepEqual(parseCgroupsPath(`runc-tests/${ID}`), ["runc-tests", ID]);
  assert.equal(normalizeCgroupsPath(ID), `/${ID}`);
  assert.equal(normalizeCgroupsPath("a/b.c"), "/a/b.c");
});

Deno.test("parseCgroupsPath: the systemd form is refused with one clear error", () => {
  assert.throws(
    () => parseCgroupsPath(`system.slice:docker:${ID}`),
    (e: unknown) =>
      e instanceof CgroupError && /systemd form slice:prefix:name/.test(e.message) &&
      !e.message.includes("\n"),
  );
  assert.throws(() => parseCgroupsPath(`:libpod:${ID}`), /systemd form/);
});

Deno.test("parseCgroupsPath: dot-dot, empty components and odd characters are refused", () => {
  for (
    const bad of [
      "",
      "/",
      "/docker/../etc",
      "../x",
      "/docker//x",
      "/docker/x/",
      "/docker/./x",
      "/a b",
      "/a:b",
      "/docker/\u00e9",
      "/" + "x".repeat(256),
      "/" + Array(17).fill("a").join("/"),
    ]
  ) {
    assert.throws(() => parseCgroupsPath(bad), CgroupError, JSON.stringify(bad));
  }
});

Deno.test("parentDirs: the ancestors between the root and the container, outermost first", () => {
  assert.deepEqual(parentDirs("/cg/memory", ["a", "b", "c"]), ["/cg/memory/a", "/cg/memory/a/b"]);
  assert.deepEqual(parentDirs("/cg/memory", ["c"]), []);
});
