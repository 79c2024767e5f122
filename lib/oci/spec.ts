/**
 * Types of the OCI runtime spec 1.x `config.json` (opencontainers/runtime-spec
 * `specs-go/config.go`), with the spec's own field names and shapes. This is
 * the container's contract: the docker-style front end generates it, the
 * runtime and the init consume it. Only the Linux parts tsbox implements are
 * typed; unknown fields are carried through untouched.
 * @module
 */

/** The OCI runtime spec version tsbox writes and accepts (major 1). */
export const OCI_VERSION = "1.2.0";

/** Top-level `config.json`. */
export interface Spec {
  ociVersion: string;
  process?: Process;
  root?: Root;
  hostname?: string;
  domainname?: string;
  mounts?: Mount[];
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
}

/** `process`. */
export interface Process {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: User;
  args?: string[];
  commandLine?: string;
  env?: string[];
  cwd: string;
  capabilities?: LinuxCapabilities;
  rlimits?: POSIXRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
}

/** `process.user`. */
export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
  username?: string;
}

/** `process.capabilities`: names with the `CAP_` prefix, upper case. */
export interface LinuxCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

/** `process.rlimits[]`, e.g. `{type: "RLIMIT_NOFILE", hard: 1024, soft: 1024}`. */
export interface POSIXRlimit {
  type: string;
  hard: number;
  soft: number;
}

/** `root`. `path` may be relative to the bundle. */
export interface Root {
  path: string;
  readonly?: boolean;
}

/** `mounts[]`. */
export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
}

/** One hook. */
export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

/** `hooks`. */
export interface Hooks {
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

/** `linux`. */
export interface Linux {
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
  sysctl?: Record<string, string>;
  resources?: LinuxResources;
  cgroupsPath?: string;
  namespaces?: LinuxNamespace[];
  devices?: LinuxDevice[];
  seccomp?: LinuxSeccomp;
  rootfsPropagation?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  personality?: { domain: string; flags?: string[] };
}

/** `linux.namespaces[]`. */
export interface LinuxNamespace {
  type: "pid" | "network" | "mount" | "ipc" | "uts" | "user" | "cgroup" | "time";
  path?: string;
}

/** `linux.uidMappings[]` / `gidMappings[]`. */
export interface LinuxIDMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** `linux.devices[]`: a device node created in the container. */
export interface LinuxDevice {
  path: string;
  /** "c", "b", "u" or "p". */
  type: string;
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

/** `linux.resources.devices[]`: one allow/deny rule of the device cgroup. */
export interface LinuxDeviceCgroup {
  allow: boolean;
  /** "a", "c" or "b"; absent = all. */
  type?: string;
  /** absent or -1 = any. */
  major?: number;
  minor?: number;
  /** subset of "rwm"; absent = "rwm". */
  access?: string;
}

/** `linux.resources`. */
export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: {
    limit?: number;
    reservation?: number;
    swap?: number;
    kernel?: number;
    kernelTCP?: number;
    swappiness?: number;
    disableOOMKiller?: boolean;
    useHierarchy?: boolean;
    checkBeforeUpdate?: boolean;
  };
  cpu?: {
    shares?: number;
    quota?: number;
    burst?: number;
    period?: number;
    realtimeRuntime?: number;
    realtimePeriod?: number;
    cpus?: string;
    mems?: string;
    idle?: number;
  };
  pids?: { limit: number };
  blockIO?: Record<string, unknown>;
  hugepageLimits?: { pageSize: string; limit: number }[];
  network?: Record<string, unknown>;
  rdma?: Record<string, unknown>;
  unified?: Record<string, string>;
}

/** `linux.seccomp`. */
export interface LinuxSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: LinuxSyscall[];
}

/** `linux.seccomp.syscalls[]`. */
export interface LinuxSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: LinuxSeccompArg[];
}

/** `linux.seccomp.syscalls[].args[]`. */
export interface LinuxSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  /** SCMP_CMP_NE, _LT, _LE, _EQ, _GE, _GT, _MASKED_EQ. */
  op: string;
}

/** The runtime's `state` output (runtime-spec `specs-go/state.go`). */
export interface State {
  ociVersion: string;
  id: string;
  status: "creating" | "created" | "running" | "paused" | "stopped";
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}
