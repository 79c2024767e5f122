/**
 * Test fixture: put a busybox image into a state root through the
 * ImageStore API (no registry, no `import` command needed).
 * @module
 */

import { join } from "node:path";
import { pathsFor } from "../../lib/paths.ts";
import { ImageStore } from "../../lib/image/store.ts";
import { sha256Digest } from "../../lib/image/digest.ts";
import { makeBusyboxTar } from "./busybox.ts";

let cachedTar: Uint8Array | undefined;

/** The busybox rootfs tar bytes (built once per test process). */
function busyboxTar(): Uint8Array {
  if (cachedTar) return cachedTar;
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-bbtar-" });
  try {
    const tar = join(dir, "rootfs.tar");
    makeBusyboxTar(tar);
    cachedTar = Deno.readFileSync(tar);
    return cachedTar;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Options of `seedBusybox`. */
export interface SeedOptions {
  /** Names to tag (default `docker.io/library/busybox:latest`). */
  names?: string[];
  /** Extra image config fields (`StopSignal`, `Env`, …) merged into `config`. */
  config?: Record<string, unknown>;
}

/**
 * Store a busybox image (`busybox:latest`) in the state root `root`.
 * Requires root (layer unpack keeps ownership).
 */
export async function seedBusybox(root: string, opts: SeedOptions = {}): Promise<void> {
  const tar = busyboxTar();
  const digest = sha256Digest(tar);
  const config = new TextEncoder().encode(JSON.stringify({
    architecture: Deno.build.arch === "aarch64" ? "arm64" : "amd64",
    os: "linux",
    config: {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      Cmd: ["sh"],
      ...opts.config,
    },
    rootfs: { type: "layers", diff_ids: [digest] },
  }));
  const store = new ImageStore(pathsFor(root));
  try {
    await store.writeBlob(digest, tar);
    await store.commitImage({
      config,
      layers: [{ digest, mediaType: "application/vnd.oci.image.layer.v1.tar", size: tar.length }],
      names: opts.names ?? ["docker.io/library/busybox:latest"],
    });
  } finally {
    store.close();
  }
}
