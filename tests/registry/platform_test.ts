import assert from "node:assert/strict";
import {
  formatPlatform,
  hostPlatform,
  parsePlatform,
  selectPlatform,
} from "../../lib/registry/platform.ts";
import type { IndexEntry } from "../../lib/registry/manifest.ts";
import { ImageError, UsageError } from "../../lib/errors.ts";

const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const entries: IndexEntry[] = [
  { mediaType: "m", digest: d(1), size: 1, platform: { os: "linux", architecture: "amd64" } },
  {
    mediaType: "m",
    digest: d(2),
    size: 1,
    platform: { os: "linux", architecture: "arm", variant: "v6" },
  },
  {
    mediaType: "m",
    digest: d(3),
    size: 1,
    platform: { os: "linux", architecture: "arm", variant: "v7" },
  },
  {
    mediaType: "m",
    digest: d(4),
    size: 1,
    platform: { os: "linux", architecture: "arm64", variant: "v8" },
  },
  { mediaType: "m", digest: d(5), size: 1, platform: { os: "unknown", architecture: "unknown" } },
];

Deno.test("parsePlatform: normalises aliases and arm64's default variant", () => {
  assert.deepEqual(parsePlatform("linux/x86_64"), {
    os: "linux",
    architecture: "amd64",
    variant: undefined,
  });
  assert.deepEqual(parsePlatform("linux/aarch64"), {
    os: "linux",
    architecture: "arm64",
    variant: undefined,
  });
  assert.deepEqual(parsePlatform("linux/arm64/v8"), {
    os: "linux",
    architecture: "arm64",
    variant: undefined,
  });
  assert.deepEqual(parsePlatform("arm64"), {
    os: "linux",
    architecture: "arm64",
    variant: undefined,
  });
  assert.equal(formatPlatform(parsePlatform("linux/arm/v7")), "linux/arm/v7");
  for (const bad of ["", "linux/", "a/b/c/d", "linux/am d64"]) {
    assert.throws(() => parsePlatform(bad), UsageError, bad);
  }
});

Deno.test("hostPlatform: linux with the OCI spelling of Deno.build.arch", () => {
  const h = hostPlatform();
  assert.equal(h.os, "linux");
  assert.equal(h.architecture, Deno.build.arch === "aarch64" ? "arm64" : "amd64");
});

Deno.test("selectPlatform: picks by os/arch/variant, lists what exists when nothing matches", () => {
  assert.equal(selectPlatform(entries, parsePlatform("linux/amd64"), "x").digest, d(1));
  assert.equal(selectPlatform(entries, parsePlatform("linux/arm64"), "x").digest, d(4));
  assert.equal(selectPlatform(entries, parsePlatform("linux/arm/v7"), "x").digest, d(3));
  assert.equal(
    selectPlatform(entries, parsePlatform("linux/arm"), "x").digest,
    d(2),
    "no variant: first arm entry",
  );
  assert.throws(
    () => selectPlatform(entries, parsePlatform("linux/s390x"), "x"),
    (err: unknown) => {
      assert.ok(err instanceof ImageError);
      assert.match(err.message, /no matching manifest for linux\/s390x/);
      assert.equal(
        err.hint,
        "available platforms: linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64",
      );
      return true;
    },
  );
});
