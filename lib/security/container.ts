/**
 * A container's security settings from its docker flags: capabilities,
 * masks, devices, sysctls, rlimits (settings.ts), and the seccomp filter
 * for that capability set — docker's default profile, a profile file, or
 * none (`seccomp=unconfined`, `--privileged`).
 * @module
 */

import { buildSecurity, parseSecurityOpts, type SecurityFlags } from "./settings.ts";
import { hostDevices } from "./host_devices.ts";
import type { SecuritySettings } from "./types.ts";
import { ownBoundingSet } from "./capabilities.ts";
import { hostDeviceFs } from "../oci/devices.ts";
import type { LinuxSeccomp } from "../oci/spec.ts";
import { UsageError } from "../errors.ts";
import { defaultSeccomp } from "../seccomp/default_profile.ts";
import { hostSeccompTarget, profileToSeccomp } from "../seccomp/convert.ts";
import { parseSeccompProfile } from "../seccomp/profile.ts";

/** Where the container runs. */
export interface ContainerSecurityContext {
  ownNetns: boolean;
  cgroupV2: boolean;
}

/** The OCI seccomp section for `--security-opt seccomp=…` and the container's capabilities. */
function seccompFor(choice: string, caps: readonly string[]): LinuxSeccomp | undefined {
  if (choice === "unconfined") return undefined;
  const target = hostSeccompTarget(caps);
  if (choice === "default") return defaultSeccomp(target);
  let text: string;
  try {
    text = Deno.readTextFileSync(choice);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "no such file or directory" : String(err);
    throw new UsageError(`opening seccomp profile (${choice}) failed: ${why}`, { cause: err });
  }
  return profileToSeccomp(parseSeccompProfile(text, choice), target);
}

/**
 * Build and validate (nothing is created before this returns).
 * @throws {UsageError} an invalid flag value or seccomp profile.
 */
export function containerSecurity(
  flags: SecurityFlags,
  c: ContainerSecurityContext,
): SecuritySettings {
  const sec = buildSecurity(flags, {
    ...c,
    deviceFs: hostDeviceFs,
    hostDevices: () => hostDevices(),
    available: ownBoundingSet(),
  });
  if (!flags.privileged) {
    const choice = parseSecurityOpts(flags.securityOpt).seccomp;
    sec.linux.seccomp = seccompFor(choice, sec.process.capabilities.bounding ?? []);
  }
  return sec;
}
