import assert from "node:assert/strict";
import {
  DOCKER_LIST,
  DOCKER_MANIFEST,
  OCI_INDEX,
  OCI_MANIFEST,
  parseManifest,
} from "../../lib/registry/manifest.ts";
import { ImageError } from "../../lib/errors.ts";

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const D = `sha256:${"a".repeat(64)}`;

Deno.test("parseManifest: reads Docker and OCI manifests and indexes", () => {
  const img = parseManifest(
    enc({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: "c", digest: D, size: 10 },
      layers: [{
        mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
        digest: D,
        size: 20,
      }],
    }),
    null,
    "x",
  );
  assert.equal(img.kind, "image");
  if (img.kind === "image") assert.equal(img.layers[0].size, 20);
  const list = parseManifest(
    enc({
      schemaVersion: 2,
      mediaType: DOCKER_LIST,
      manifests: [{
        mediaType: DOCKER_MANIFEST,
        digest: D,
        size: 1,
        platform: { os: "linux", architecture: "amd64" },
      }],
    }),
    null,
    "x",
  );
  assert.equal(list.kind, "index");
  // OCI documents may omit mediaType: the header or the shape decides
  assert.equal(
    parseManifest(enc({ schemaVersion: 2, manifests: [] }), `${OCI_INDEX}; charset=utf-8`, "x")
      .kind,
    "index",
  );
  const oci = parseManifest(
    enc({ schemaVersion: 2, config: { digest: D, size: 1 }, layers: [] }),
    null,
    "x",
  );
  assert.equal(oci.mediaType, OCI_MANIFEST);
});

Deno.test("parseManifest: rejects schema1, bad digests, bad sizes and non-JSON", () => {
  const bad: [Uint8Array, RegExp][] = [
    [enc({ schemaVersion: 1, fsLayers: [] }), /schema version 1/],
    [
      enc({ schemaVersion: 2, config: { digest: "sha256:zz", size: 1 }, layers: [] }),
      /valid sha256 digest/,
    ],
    [enc({ schemaVersion: 2, config: { digest: D, size: -1 }, layers: [] }), /invalid size/],
    [
      enc({ schemaVersion: 2, mediaType: "application/x-other", layers: [] }),
      /unsupported manifest media type/,
    ],
    [new TextEncoder().encode("<html>"), /not valid JSON/],
  ];
  for (const [bytes, re] of bad) {
    assert.throws(
      () => parseManifest(bytes, null, "x"),
      (e: unknown) => e instanceof ImageError && re.test(e.message),
    );
  }
});
