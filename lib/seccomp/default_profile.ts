/**
 * tsbox's default seccomp profile, kept as data in `default.json`: docker's
 * default profile, moby/profiles `seccomp/default.json` at tag
 * seccomp/v0.2.3 (commit 836ae4d37ef2, vendored by moby master b985e2313a8),
 * same content, re-indented by `deno fmt`. Deny by default with EPERM;
 * mount/unshare/setns/namespaced clone only with CAP_SYS_ADMIN, clone3 ENOSYS
 * without it; keyctl/add_key/request_key never. To update, copy the newer
 * file over it and refresh tests/seccomp/equivalence_test.ts's table.
 * Imported statically so `deno compile` embeds it.
 * @module
 */

import DEFAULT_PROFILE_JSON from "./default.json" with { type: "json" };
import { checkSeccompProfile, type SeccompProfile } from "./profile.ts";
import { profileToSeccomp, type SeccompTarget } from "./convert.ts";
import type { LinuxSeccomp } from "../oci/spec.ts";

/** How errors name the built-in profile. */
export const DEFAULT_PROFILE_SOURCE = "(tsbox default)";

/** The default profile, parsed and checked (a fresh copy each call). */
export function defaultSeccompProfile(): SeccompProfile {
  return checkSeccompProfile(structuredClone(DEFAULT_PROFILE_JSON), DEFAULT_PROFILE_SOURCE);
}

/**
 * The default profile as the `linux.seccomp` of a container with these
 * capabilities on this host (see `profileToSeccomp`).
 */
export function defaultSeccomp(target: SeccompTarget): LinuxSeccomp {
  return profileToSeccomp(defaultSeccompProfile(), target);
}
