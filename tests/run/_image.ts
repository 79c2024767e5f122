/**
 * Test fixture: put a busybox image with a chosen config into a state root
 * through the image store API (no registry, no archive format involved).
 * @module
 */

import { createHash } from "node:crypto";
import { ImageStore } from "../../lib/image/store.ts";
import { pathsFor } from "../../lib/paths.ts";
import { makeBusyboxTar } from "../helpers/busybox.ts";

let cachedTar: Uint8Array | undefined;

/** Store `name` (e.g. `busybox`) with image config `config` under `root`. */
export async function seedImage(
  root: string,
  name = "busybox",
  config: Record<string, unknown> = {},
): Promise<void> {
  if (!cachedTar) {
    const path = Deno.makeTempFileSync({ suffix: ".tar" });
    try {
      makeBusyboxTar(path);
      cachedTar = Deno.readFileSync(path);
    } finally {
      Deno.removeSync(path);
    }
  }
  const tar = cachedTar;
  const digest = "sha256:" + createHash("sha256").update(tar).digest("hex");
  const store = new ImageStore(pathsFor(root));
  await store.writeBlob(digest, tar);
  const cfg = {
    architecture: "amd64",
    os: "linux",
    config: {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      Cmd: ["sh"],
      ...config,
    },
    rootfs: { type: "layers", diff_ids: [digest] },
  };
  const ref = name.includes("/")
    ? name
    : `docker.io/library/${name.includes(":") ? name : `${name}:latest`}`;
  await store.commitImage({
    config: new TextEncoder().encode(JSON.stringify(cfg)),
    layers: [{ digest, mediaType: "application/vnd.oci.image.layer.v1.tar", size: tar.length }],
    names: [ref],
  });
}
