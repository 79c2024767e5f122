/**
 * Test helper: a three-layer image (with a whiteout and an opaque dir) and
 * archives of it in docker-archive (classic) and OCI image-layout form.
 * @module
 */

import { buildTar, type Entry, gzip, json, sha256 } from "./_tar_builder.ts";

/** Layer 1: a small tree, incl. setuid file, symlink, device, dir to be made opaque. */
export const LAYER1: Entry[] = [
  { name: "etc/", type: "directory" },
  { name: "etc/motd", data: "hello from layer 1\n" },
  { name: "etc/passwd", data: "root:x:0:0:root:/root:/bin/sh\n" },
  { name: "var/", type: "directory" },
  { name: "var/cache/", type: "directory" },
  { name: "var/cache/old", data: "stale" },
  { name: "bin/", type: "directory" },
  { name: "bin/tool", data: "#!/bin/sh\n", mode: 0o4755 },
  { name: "bin/alias", type: "symlink", linkname: "tool" },
  { name: "dev/", type: "directory" },
  { name: "dev/null", type: "character-device", devmajor: 1, devminor: 3, mode: 0o666 },
  { name: "home/user/", type: "directory", uid: 1000, gid: 1000, mode: 0o700 },
];

/** Layer 2: deletes etc/motd (whiteout), makes var/cache opaque with new content. */
export const LAYER2: Entry[] = [
  { name: "etc/", type: "directory" },
  { name: "etc/.wh.motd" },
  { name: "var/cache/.wh..wh..opq" },
  { name: "var/cache/new", data: "fresh" },
];

/** Layer 3: a file and a hardlink to it. */
export const LAYER3: Entry[] = [
  { name: "srv/data", data: "layer three", uid: 1000, gid: 1000 },
  { name: "srv/data-link", type: "link", linkname: "srv/data" },
];

/** An image: uncompressed layer tars plus its config. */
export interface TestImage {
  layers: Uint8Array[];
  config: Uint8Array;
  id: string;
}

/** Build the image from layer entry lists (`diffIds` overrides the config's, for mismatch tests). */
export async function makeImage(
  layers: Entry[][] = [LAYER1, LAYER2, LAYER3],
  diffIds?: string[],
): Promise<TestImage> {
  const tars = await Promise.all(layers.map(buildTar));
  const config = json({
    architecture: "amd64",
    os: "linux",
    created: "2024-01-02T03:04:05Z",
    config: { Env: ["PATH=/bin"], Cmd: ["/bin/tool"], WorkingDir: "/srv" },
    rootfs: { type: "layers", diff_ids: diffIds ?? tars.map(sha256) },
  });
  return { layers: tars, config, id: sha256(config) };
}

/** `docker save` (classic) layout: manifest.json, <id>.json, <n>/layer.tar. */
export async function dockerArchive(img: TestImage, repoTags: string[]): Promise<Uint8Array> {
  const hex = img.id.slice(7);
  const entries: Entry[] = [{ name: `${hex}.json`, data: img.config }];
  img.layers.forEach((l, i) => {
    entries.push({ name: `layer${i}/`, type: "directory" });
    entries.push({ name: `layer${i}/layer.tar`, data: l });
  });
  entries.push({
    name: "manifest.json",
    data: json([{
      Config: `${hex}.json`,
      RepoTags: repoTags,
      Layers: img.layers.map((_, i) => `layer${i}/layer.tar`),
    }]),
  });
  return await buildTar(entries);
}

/** OCI image layout with gzip layers; `annotations` go on the index entry. */
export async function ociArchive(
  img: TestImage,
  annotations: Record<string, string>,
  tamper?: (blobs: Map<string, Uint8Array>) => void,
): Promise<Uint8Array> {
  const blobs = new Map<string, Uint8Array>();
  const layers = img.layers.map((l) => {
    const gz = gzip(l);
    blobs.set(sha256(gz), gz);
    return {
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      digest: sha256(gz),
      size: gz.length,
    };
  });
  blobs.set(img.id, img.config);
  const manifest = json({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: img.id,
      size: img.config.length,
    },
    layers,
  });
  blobs.set(sha256(manifest), manifest);
  const index = json({
    schemaVersion: 2,
    manifests: [{
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: sha256(manifest),
      size: manifest.length,
      annotations,
    }],
  });
  tamper?.(blobs);
  return await buildTar([
    { name: "oci-layout", data: json({ imageLayoutVersion: "1.0.0" }) },
    { name: "index.json", data: index },
    ...[...blobs].map(([d, b]): Entry => ({ name: `blobs/sha256/${d.slice(7)}`, data: b })),
  ]);
}
