/**
 * Security test fixture: a busybox image that also holds `/escape`, a
 * static helper (tests/security/_escape.c, built here with gcc) for the
 * calls busybox cannot make.
 * @module
 */

import { fromFileUrl } from "../../lib/url.ts";
import { seedImage } from "../run/_image.ts";

const SRC = fromFileUrl(new URL("./_escape.c", import.meta.url));
let built: string | undefined;

/** Compile the helper once per test process; returns its path. */
function escapeBinary(): string {
  if (built) return built;
  const out = Deno.makeTempFileSync({ prefix: "tsbox-escape-" });
  const r = new Deno.Command("gcc", { args: ["-static", "-O1", "-o", out, SRC], stderr: "piped" })
    .outputSync();
  if (!r.success) throw new Error(`gcc failed: ${new TextDecoder().decode(r.stderr)}`);
  globalThis.addEventListener("unload", () => Deno.removeSync(out));
  return built = out;
}

/** Seed `busybox` with /escape in it. */
export async function seedSecurityImage(root: string): Promise<void> {
  const bin = escapeBinary();
  await seedImage(root, "busybox", {}, (dir) => {
    Deno.copyFileSync(bin, `${dir}/escape`);
    Deno.chmodSync(`${dir}/escape`, 0o755);
  });
}
