/**
 * A container's security settings from its docker flags: capabilities,
 * masks, devices, sysctls, rlimits (settings.ts), and the seccomp filter
 * for that capability set.
 * @module
 */

import { buildSecurity, type SecurityFlags } from "./settings.ts";
import { hostDevices } from "./host_devices.ts";
import { hostDeviceFs } from "../oci/devices.ts";
import type { SecuritySettings } from "./types.ts";
import { ownBoundingSet } from "./capabilities.ts";

/** Where the container runs. */
export interface ContainerSecurityContext {
  ownNetns: boolean;
  cgroupV2: boolean;
}

/**
 * Build and validate (nothing is created before this returns).
 * @throws {UsageError} an invalid flag value.
 */
export function containerSecurity(
  flags: SecurityFlags,
  c: ContainerSecurityContext,
): SecuritySettings {
  return buildSecurity(flags, {
    ...c,
    deviceFs: hostDeviceFs,
    hostDevices: () => hostDevices(),
    available: ownBoundingSet(),
  });
}
