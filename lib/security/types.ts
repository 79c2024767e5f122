/**
 * A container's security settings: the OCI runtime-spec fields (names and
 * shapes as in `config.json`) plus the docker-level flags they came from,
 * for `inspect`. Generated once at create time, read by the init and exec.
 * @module
 */

import type {
  LinuxCapabilities,
  LinuxDevice,
  LinuxDeviceCgroup,
  LinuxSeccomp,
  POSIXRlimit,
} from "../oci/spec.ts";

/** What the OCI spec's `process` carries for security. */
export interface ProcessSecurity {
  capabilities: LinuxCapabilities;
  noNewPrivileges: boolean;
  rlimits: POSIXRlimit[];
  oomScoreAdj?: number;
}

/** What the OCI spec's `linux` carries for security. */
export interface LinuxSecurity {
  maskedPaths: string[];
  readonlyPaths: string[];
  /** Device nodes created in /dev. */
  devices: LinuxDevice[];
  /** `linux.resources.devices`: the device cgroup rules. */
  deviceRules: LinuxDeviceCgroup[];
  sysctl: Record<string, string>;
  /** Absent: unconfined. */
  seccomp?: LinuxSeccomp;
}

/** The whole security record of a container. */
export interface SecuritySettings {
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  /** `root.readonly`. */
  readonlyRootfs: boolean;
  /** `private` adds a cgroup namespace entry to `linux.namespaces`. */
  cgroupns: "private" | "host";
  process: ProcessSecurity;
  linux: LinuxSecurity;
}
