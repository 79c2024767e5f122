/**
 * Container records as stored under `<root>/containers/<id>/`:
 * `container.json` (what was asked, fixed at create) and `state.json` (what
 * is happening, rewritten atomically).
 * @module
 */

import type { SecurityFlags } from "../security/settings.ts";
import type { NamespaceFlags } from "./namespace_modes.ts";

/** The run request, after flag parsing, before the image is merged in. */
export interface ContainerSpec {
  /** Image reference as typed by the user. */
  image: string;
  /** Arguments after IMAGE (empty = image Cmd). */
  cmd: string[];
  /** `--entrypoint`; `""` clears the image's entrypoint. */
  entrypoint?: string;
  /** `-e` / `--env-file`, in order (`K=V`, or `K` to pass the host's value). */
  env: string[];
  /** `-w`. */
  workdir?: string;
  /** `-u` (`uid[:gid]` or `name[:group]`). */
  user?: string;
  /** `--hostname`. */
  hostname?: string;
  /** `--name`. */
  name?: string;
  /** `-t`. */
  tty: boolean;
  /** `-i`. */
  interactive: boolean;
  /** `--rm`. */
  autoRemove: boolean;
  /** `-d`. */
  detach: boolean;
  /** Raw `-v` values. */
  volumes: string[];
  /** Raw `--mount` values. */
  mounts: string[];
  /** Raw `--tmpfs` values. */
  tmpfs: string[];
  /** Raw resource flags by long name (`memory`, `cpus`, …). */
  resources: Record<string, string>;
  /** `--network` (default `bridge`). */
  network: string;
  /** Raw `-p` values. */
  publish: string[];
  /** `--dns`. */
  dns: string[];
  /** `--add-host`. */
  addHost: string[];
  /** `--label` / `--label-file`, parsed (later values win). */
  labels?: Record<string, string>;
  /** `--stop-signal` (overrides the image's StopSignal). */
  stopSignal?: string;
  /** `--stop-timeout` seconds (default for `stop -t`). */
  stopTimeout?: number;
  /** Raw `--expose` values (`80`, `8000-8010/udp`). */
  expose?: string[];
  /** `-P`: publish every exposed port to a random host port. */
  publishAll?: boolean;
  /** `--volumes-from CONTAINER[:ro|rw]`. */
  volumesFrom?: string[];
  /** `--log-driver`. */
  logDriver?: string;
  /** Raw `--log-opt K=V` values. */
  logOpts?: string[];
  /** `--restart` as typed. */
  restart?: string;
  /** `--health-*` / `--no-healthcheck` as typed. */
  health?: HealthFlags;
  /** `--init`: run docker-init (tini) as PID 1. */
  init?: boolean;
  /** Security flags, raw (lib/security validates them). */
  security: SecurityFlags;
  /** `--userns` / `--uidmap` / `--gidmap`, raw (lib/userns checks them; absent in old records). */
  userns?: { userns?: string; uidmap: string[]; gidmap: string[] };
  /** `--pid` / `--ipc` / `--uts` as typed. */
  namespaces?: NamespaceFlags;
  /** `--shm-size` as typed. */
  shmSize?: string;
  /** `--group-add` values. */
  groupAdd?: string[];
  /** `--mac-address`. */
  macAddress?: string;
  /** `-a/--attach` streams (`stdin`, `stdout`, `stderr`), lower-cased; absent: docker's default. */
  attach?: string[];
}

import type { HealthFlags } from "./health_config.ts";

/** The process the init will execve, fully resolved. */
export interface ProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  groups: number[];
  /** User as asked (`-u` or image User), for error messages. */
  user: string;
  tty: boolean;
  /** `--group-add` values as typed (names resolved in the image's /etc/group). */
  groupAdd?: string[];
}

/** Lifecycle status, as docker names it. */
export type Status = "created" | "running" | "exited" | "removing";

/** `state.json`. */
export interface ContainerState {
  status: Status;
  /** Host pid of the container's PID 1 (0 when not running). */
  pid: number;
  /** Start time of `pid` (field 22 of /proc/PID/stat) to detect pid reuse. */
  pidStartTime?: number;
  /** Pid of the tsbox process supervising it (foreground run or monitor). */
  monitorPid?: number;
  exitCode?: number;
  oomKilled?: boolean;
  error?: string;
  /** Why (part of) the container's log could not be written, e.g. a full disk. */
  logError?: string;
  startedAt?: string;
  finishedAt?: string;
}
