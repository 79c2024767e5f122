/**
 * Compiled seccomp programs, cached in the state root by the digest of the
 * OCI `linux.seccomp` they come from: libseccomp needs 15–20 ms to build the
 * default profile for three architectures, installing the result < 1 ms.
 * The parent compiles (with the host's libseccomp, before any namespace
 * change); the init and `exec` only install. On a cache hit neither the
 * compiler (load.ts, libseccomp, the profile validation) nor node:crypto
 * is loaded: the key is hashed with Web Crypto, the compiler loaded lazily.
 * @module
 */

import { join } from "../posix_path.ts";
import type { Paths } from "../paths.ts";
import type { LinuxSeccomp } from "../oci/spec.ts";
import { lazy } from "../lazy.ts";
import { writeFileAtomic } from "../fsutil.ts";
import { hexDigest } from "../hex_digest.ts";
import type { EncodedSeccomp } from "./encoded.ts";

export { decodeSeccomp, type EncodedSeccomp } from "./encoded.ts";

function dir(paths: Paths): string {
  return join(paths.root, "cache", "seccomp");
}

/**
 * The compiled program of `s`, from the cache or freshly compiled (and then cached).
 * @throws as `compileSeccomp` (invalid spec, libseccomp errors).
 */
export async function cachedSeccomp(paths: Paths, s: LinuxSeccomp): Promise<EncodedSeccomp> {
  const text = JSON.stringify(s);
  // `run` asks twice, at create (to fail early) and at start: the second answer is at hand
  const known = seen.get(text);
  if (known) return known;
  const key = await hexDigest("SHA-256", text);
  const file = join(dir(paths), `${key}.json`);
  try {
    const enc = JSON.parse(Deno.readTextFileSync(file)) as EncodedSeccomp;
    seen.set(text, enc);
    return enc;
  } catch (err) {
    // not cached yet (or a torn write from a crash: compile again and overwrite)
    if (!(err instanceof Deno.errors.NotFound) && !(err instanceof SyntaxError)) throw err;
  }
  const p = (await lazy("seccomp/load.ts")).compileSeccomp(s);
  let bin = "";
  for (const b of p.bpf) bin += String.fromCharCode(b);
  const enc: EncodedSeccomp = { bpf: btoa(bin), flags: p.flags };
  Deno.mkdirSync(dir(paths), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(enc)), 0o600);
  seen.set(text, enc);
  return enc;
}

/** The profiles this process has encoded or read, by their JSON text. */
const seen = new Map<string, EncodedSeccomp>();
