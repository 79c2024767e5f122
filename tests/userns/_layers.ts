/**
 * Test fixture: a 3-layer image — busybox, then a layer adding files owned
 * by 1000:50, then one with a whiteout and an opaque directory — stored
 * through the image store API.
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { ImageStore } from "../../lib/image/store.ts";
import { pathsFor } from "../../lib/paths.ts";
import { makeBusyboxTar } from "../helpers/busybox.ts";

function tarOf(build: (dir: string) => void): Uint8Array {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-layer-" });
  const out = Deno.makeTempFileSync({ suffix: ".tar" });
  try {
    build(dir);
    const r = new Deno.Command("tar", {
      args: ["-C", dir, "-cf", out, "--numeric-owner", "."],
      stderr: "piped",
    }).outputSync();
    if (!r.success) throw new Error(new TextDecoder().decode(r.stderr));
    return Deno.readFileSync(out);
  } finally {
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(out);
  }
}

function file(dir: string, rel: string, text: string, uid = 0, gid = 0, mode = 0o644): void {
  const p = join(dir, rel);
  Deno.mkdirSync(join(p, ".."), { recursive: true });
  Deno.writeTextFileSync(p, text);
  Deno.chmodSync(p, mode);
  Deno.chownSync(p, uid, gid);
}

/** Store `layered:latest` under `root`. Requires root (owners in the tars). */
export async function seedLayered(root: string): Promise<void> {
  const bbPath = Deno.makeTempFileSync({ suffix: ".tar" });
  let base: Uint8Array;
  try {
    makeBusyboxTar(bbPath);
    base = Deno.readFileSync(bbPath);
  } finally {
    Deno.removeSync(bbPath);
  }
  const two = tarOf((d) => {
    file(d, "d/a", "a\n", 1000, 50);
    file(d, "d/keep", "keep\n", 1000, 50, 0o600);
    file(d, "d/sub/b", "b\n");
    Deno.mkdirSync(join(d, "home/user"), { recursive: true });
    Deno.chownSync(join(d, "home/user"), 1000, 1000);
    Deno.chmodSync(join(d, "home/user"), 0o700);
  });
  const three = tarOf((d) => {
    file(d, "d/.wh.a", ""); // whiteout: d/a is deleted
    file(d, "d/sub/.wh..wh..opq", ""); // opaque: d/sub/b is hidden
    file(d, "d/sub/c", "c\n", 1000, 1000);
  });
  const layers = [base, two, three];
  const digests = layers.map((t) => "sha256:" + createHash("sha256").update(t).digest("hex"));
  const store = new ImageStore(pathsFor(root));
  for (const [i, t] of layers.entries()) await store.writeBlob(digests[i], t);
  const cfg = {
    architecture: "amd64",
    os: "linux",
    config: { Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"] },
    rootfs: { type: "layers", diff_ids: digests },
  };
  await store.commitImage({
    config: new TextEncoder().encode(JSON.stringify(cfg)),
    layers: layers.map((t, i) => ({
      digest: digests[i],
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      size: t.length,
    })),
    names: ["docker.io/library/layered:latest"],
  });
}
