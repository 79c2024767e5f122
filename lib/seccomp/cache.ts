/**
 * Compiled seccomp programs, cached in the state root by the digest of the
 * OCI `linux.seccomp` they come from: libseccomp needs 15–20 ms to build the
 * default profile for three architectures, installing the result < 1 ms.
 * The parent compiles (with the host's libseccomp, before any namespace
 * change); the init and `exec` only install.
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Paths } from "../paths.ts";
import type { LinuxSeccomp } from "../oci/spec.ts";
import { compileSeccomp } from "./load.ts";
import { writeFileAtomic } from "../fsutil.ts";
import type { EncodedSeccomp } from "./encoded.ts";

export { decodeSeccomp, type EncodedSeccomp } from "./encoded.ts";

function dir(paths: Paths): string {
  return join(paths.root, "cache", "seccomp");
}

/**
 * The compiled program of `s`, from the cache or freshly compiled (and then cached).
 * @throws as `compileSeccomp` (invalid spec, libseccomp errors).
 */
export function cachedSeccomp(paths: Paths, s: LinuxSeccomp): EncodedSeccomp {
  const key = createHash("sha256").update(JSON.stringify(s)).digest("hex");
  const file = join(dir(paths), `${key}.json`);
  try {
    return JSON.parse(Deno.readTextFileSync(file)) as EncodedSeccomp;
  } catch (err) {
    // not cached yet (or a torn write from a crash: compile again and overwrite)
    if (!(err instanceof Deno.errors.NotFound) && !(err instanceof SyntaxError)) throw err;
  }
  const p = compileSeccomp(s);
  let bin = "";
  for (const b of p.bpf) bin += String.fromCharCode(b);
  const enc: EncodedSeccomp = { bpf: btoa(bin), flags: p.flags };
  Deno.mkdirSync(dir(paths), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(enc)), 0o600);
  return enc;
}
