/**
 * tsbox's default seccomp profile, kept as data in `default.json` (derived
 * from containers-common's `seccomp.json`, which podman applies; same
 * rules, with comments). Imported statically so `deno compile` embeds it.
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
