/**
 * Docker's security flags → `SecuritySettings` (the OCI fields), validated
 * as a whole before anything is created: `--cap-add`, `--cap-drop`,
 * `--privileged`, `--security-opt`, `--read-only`, `--ulimit`, `--sysctl`,
 * `--cgroupns`, `--oom-score-adj`, `--device`, `--device-cgroup-rule`.
 * @module
 */

import { UsageError } from "../errors.ts";
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from "../oci/defaults.ts";
import {
  containerDeviceNodes,
  containerDeviceRules,
  type DeviceHostFs,
  parseDeviceCgroupRule,
  parseDeviceFlag,
} from "../oci/devices.ts";
import type { LinuxDevice, LinuxDeviceCgroup } from "../oci/spec.ts";
import { normalizeCapability, ociCapabilities, tweakCapabilities } from "./capabilities.ts";
import { parseUlimit } from "./ulimits.ts";
import { parseSysctls } from "./sysctl.ts";
import type { SecuritySettings } from "./types.ts";

/** The raw flags, as typed. */
export interface SecurityFlags {
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  securityOpt: string[];
  readOnly: boolean;
  ulimits: string[];
  sysctls: string[];
  cgroupns?: string;
  oomScoreAdj?: string;
  /** `--device HOST[:CTR[:PERMS]]`. */
  devices: string[];
  /** `--device-cgroup-rule 'c 1:3 rwm'`. */
  deviceCgroupRules: string[];
}

/** What `--security-opt` values ask for. */
export interface SecurityOpts {
  /** `default`, `unconfined`, or a profile file path. */
  seccomp: string;
  noNewPrivileges: boolean;
}

/**
 * Parse `--security-opt` values (docker's `k=v` and legacy `k:v` forms).
 * AppArmor and SELinux options are accepted only as "off": this host has neither.
 * @throws {UsageError} unknown or malformed option.
 */
export function parseSecurityOpts(raw: string[]): SecurityOpts {
  const out: SecurityOpts = { seccomp: "default", noNewPrivileges: false };
  for (const r of raw) {
    if (r === "no-new-privileges") {
      out.noNewPrivileges = true;
      continue;
    }
    const m = /^([a-z-]+)[=:](.*)$/.exec(r);
    if (!m) throw new UsageError(`invalid --security-opt: ${r}`);
    const [, key, value] = m;
    if (key === "seccomp") {
      if (value === "") throw new UsageError(`invalid --security-opt: ${r}: seccomp needs a value`);
      out.seccomp = value;
    } else if (key === "no-new-privileges") {
      if (value !== "true" && value !== "false") {
        throw new UsageError(`invalid --security-opt 2: "${r}"`);
      }
      out.noNewPrivileges = value === "true";
    } else if (key === "apparmor" && value === "unconfined") continue;
    else if (key === "label" && value === "disable") continue;
    else {
      throw new UsageError(
        `invalid --security-opt: ${r} (supported: seccomp=FILE|unconfined, no-new-privileges[=true|false])`,
      );
    }
  }
  return out;
}

/** Context the settings depend on. */
export interface SecurityContext {
  /** The container has its own network namespace (not `--network host`). */
  ownNetns: boolean;
  /** cgroup v2 host: docker's default cgroupns is private there, host on v1. */
  cgroupV2: boolean;
  /** Where `--device` paths are looked up. */
  deviceFs: DeviceHostFs;
  /** The host's devices (only called for --privileged). */
  hostDevices: () => LinuxDevice[];
  /** What "every capability" means here: tsbox's own bounding set. */
  available: readonly string[];
}

/**
 * Build and validate the security settings. The seccomp filter is filled in
 * by the caller from `parseSecurityOpts(...).seccomp` (it depends on the
 * capability set computed here).
 * @throws {UsageError} any invalid value (nothing has been created yet).
 */
export function buildSecurity(f: SecurityFlags, c: SecurityContext): SecuritySettings {
  const capAdd = f.capAdd.map((n) => normalizeCapability(n, "--cap-add"));
  const capDrop = f.capDrop.map((n) => normalizeCapability(n, "--cap-drop"));
  const opts = parseSecurityOpts(f.securityOpt);
  const rlimits = f.ulimits.map(parseUlimit);
  const sysctl = parseSysctls(f.sysctls, c.ownNetns);
  const cgroupns = f.cgroupns ?? (c.cgroupV2 ? "private" : "host");
  if (cgroupns !== "private" && cgroupns !== "host") {
    throw new UsageError(`invalid cgroup namespace mode: ${cgroupns} (use "private" or "host")`);
  }
  let oomScoreAdj: number | undefined;
  if (f.oomScoreAdj !== undefined) {
    oomScoreAdj = Number(f.oomScoreAdj);
    if (!/^-?\d+$/.test(f.oomScoreAdj) || oomScoreAdj < -1000 || oomScoreAdj > 1000) {
      throw new UsageError(
        `invalid value "${f.oomScoreAdj}" for --oom-score-adj: must be in range [-1000, 1000]`,
      );
    }
  }
  const caps = tweakCapabilities(capAdd, capDrop, f.privileged, c.available);
  const mappings = f.devices.flatMap((d) => parseDeviceFlag(d, c.deviceFs));
  const cgroupRules = f.deviceCgroupRules.map(parseDeviceCgroupRule);
  const devices = f.privileged ? c.hostDevices() : containerDeviceNodes(mappings);
  const deviceRules: LinuxDeviceCgroup[] = f.privileged
    ? [{ allow: true, type: "a", major: -1, minor: -1, access: "rwm" }]
    : containerDeviceRules(mappings, cgroupRules);
  return {
    privileged: f.privileged,
    capAdd,
    capDrop,
    securityOpt: [...f.securityOpt],
    readonlyRootfs: f.readOnly,
    cgroupns,
    process: {
      capabilities: ociCapabilities(caps),
      noNewPrivileges: opts.noNewPrivileges,
      rlimits,
      oomScoreAdj,
    },
    linux: {
      maskedPaths: f.privileged ? [] : [...DEFAULT_MASKED_PATHS],
      readonlyPaths: f.privileged ? [] : [...DEFAULT_READONLY_PATHS],
      devices,
      deviceRules,
      sysctl,
    },
  };
}
