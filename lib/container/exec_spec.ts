/**
 * What `tsbox exec` hands its `__exec` helper (over a SEQPACKET socket,
 * like the init's) and the messages both sides exchange.
 * @module
 */

import type { ProcessSpec } from "./types.ts";
import type { ProcessSecurity } from "../security/types.ts";
import type { EncodedSeccomp } from "../seccomp/encoded.ts";

/** Everything `__exec` needs to join the container and exec the command. */
export interface ExecSpec {
  /** Container id (its session keyring is `_ses.<id>`). */
  id: string;
  /** Host pid of the container's PID 1: its namespaces are /proc/PID/ns/*. */
  pid: number;
  /** Start time of `pid`, to refuse a recycled pid. */
  pidStartTime?: number;
  /** Files that put the writing thread in the container's cgroup (v1 `tasks`, v2 `cgroup.procs`). */
  cgroupProcs: string[];
  /** Hostname of the container (HOSTNAME default). */
  hostname: string;
  /** The command; uid/gid are resolved from the container's /etc/passwd. */
  process: ProcessSpec;
  /** Capabilities, no_new_privs, rlimits of the process (widened by `exec --privileged`). */
  security: ProcessSecurity;
  /** `security.linux.seccomp` compiled by the CLI (absent: unconfined). */
  seccomp?: EncodedSeccomp;
  /** `-d`: own session, no stdio; the helper exits once the command runs. */
  detach: boolean;
}

/** CLI → `__exec`. */
export type ToExec = { type: "spec"; spec: ExecSpec };

/** `__exec` → CLI: ready (carries the pty master fd when pty), then started or error. */
export type FromExec =
  | { type: "ready"; pty: boolean }
  | { type: "started"; pid: number }
  | { type: "error"; message: string; code: number };

/** Env var carrying the exec socket's fd number. */
export const EXEC_FD_ENV = "_TSBOX_EXEC_FD";
