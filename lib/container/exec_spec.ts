/**
 * What `tsbox exec` hands its `__exec` helper (over a SEQPACKET socket,
 * like the init's) and the messages both sides exchange.
 * @module
 */

import type { ProcessSpec } from "./types.ts";

/** Everything `__exec` needs to join the container and exec the command. */
export interface ExecSpec {
  /** Host pid of the container's PID 1: its namespaces are /proc/PID/ns/*. */
  pid: number;
  /** Start time of `pid`, to refuse a recycled pid. */
  pidStartTime?: number;
  /** `cgroup.procs` files of the container's cgroup (host paths), cpuset first. */
  cgroupProcs: string[];
  /** Hostname of the container (HOSTNAME default). */
  hostname: string;
  /** The command; uid/gid are resolved from the container's /etc/passwd. */
  process: ProcessSpec;
  /** `-d`: own session, no stdio. */
  detach: boolean;
}

/** CLI → `__exec`. */
export type ToExec = { type: "spec"; spec: ExecSpec };

/** `__exec` → CLI (then exec closes the socket; an exec failure still reports). */
export type FromExec =
  | { type: "ready"; pty: boolean } // carries the pty master fd when pty
  | { type: "error"; message: string; code: number };

/** Env var carrying the exec socket's fd number. */
export const EXEC_FD_ENV = "_TSBOX_EXEC_FD";
