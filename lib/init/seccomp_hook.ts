/**
 * Bridge from the init's process tail to the seccomp loader.
 * @module
 */

import type { LinuxSeccomp } from "../oci/spec.ts";
import { TsboxError } from "../errors.ts";

/** Load `s` on the calling thread. */
export function loadSeccomp(_s: LinuxSeccomp): void {
  throw new TsboxError("seccomp filters are not supported by this build");
}
