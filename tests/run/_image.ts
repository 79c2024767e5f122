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

function buildTar(customize?: (dir: string) => void): Uint8Array {
  const path = Deno.makeTempFileSync({ suffix: ".tar" });
  try {
    makeBusyboxTar(path, customize);
    return Deno.readFileSync(path);
  } finally {
    Deno.removeSync(path);
  }
}

/**
 * Store `name` (e.g. `busybox`) with image config `config` under `root`;
 * `customize` adds content to the rootfs before it is packed.
 */
export async function seedImage(
  root: string,
  name = "busybox",
  config: Record<string, unknown> = {},
  customize?: (dir: string) => void,
): Promise<void> {
  const tar = customize ? buildTar(customize) : (cachedTar ??= buildTar());
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
