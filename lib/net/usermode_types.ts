/**
 * Shapes of the rootless user-mode network (slirp4netns or pasta).
 * @module
 */

import type { Kernel } from "../kernel.ts";
import type { PortMapping } from "./types.ts";

/** The user-mode network programs tsbox can drive. */
export type UsermodeBackend = "slirp4netns" | "pasta";

/**
 * The container's network namespace, as the helper should enter it:
 * by a PID inside it (the helper joins that process's user and network
 * namespaces — the rootless case), or by path (rootful: the netns alone;
 * rootless: with the path of the user namespace that owns it).
 */
export type UsermodeTarget =
  | { pid: number }
  | { netnsPath: string; usernsPath?: string };

/** What `startUsermodeNet` needs. */
export interface UsermodeOptions {
  /** Where the container's network namespace is. */
  target: UsermodeTarget;
  /** `-p` mappings (`parsePublish`); host port 0 = pick a free one. */
  ports: PortMapping[];
  /** `auto` (default): slirp4netns when installed, else pasta. */
  backend?: UsermodeBackend | "auto";
  /**
   * Let the container reach the host's loopback services through the
   * gateway address (slirp4netns: 10.0.2.2; pasta: the host's gateway).
   * Default false, as podman's `allow_host_loopback=false`.
   */
  allowHostLoopback?: boolean;
  /** Interface MTU (default 65520, podman's). */
  mtu?: number;
  /**
   * A private directory for the helper's files (slirp4netns' API socket,
   * pasta's ready FIFO); the whole path must stay under 100 bytes.
   */
  runDir: string;
  /** slirp4netns `--enable-sandbox --enable-seccomp` (default true, as podman). */
  sandbox?: boolean;
  /** Makes pasta's ready FIFO (mknod S_IFIFO); only pasta needs it. */
  kernel?: Pick<Kernel, "mknod">;
  /** Bound on the wait for the helper's ready signal (default 10 s). */
  readyTimeoutMs?: number;
}

/** A running user-mode network; `stop()` ends it. */
export interface UsermodeNet {
  backend: UsermodeBackend;
  /** Host PID of slirp4netns/pasta and its start time (for a crash-time cleanup). */
  pid: number;
  startTime: number | undefined;
  /** The container's interface, address and gateway (the host, seen from inside). */
  ifname: string;
  ip: string;
  gateway: string;
  /** The nameserver the container should use (slirp4netns: its 10.0.2.3 forwarder). */
  dns: string[];
  /** Published ports, random host ports resolved. */
  ports: PortMapping[];
  /** slirp4netns' API socket (undefined for pasta). */
  apiSocket?: string;
  /** Milliseconds from spawn to the helper's ready signal. */
  readyMs: number;
  /**
   * Publish more ports on a running network (slirp4netns only).
   * @throws {NetworkError} port busy, or pasta (its ports are fixed at start).
   */
  addPorts(ports: PortMapping[]): Promise<PortMapping[]>;
  /** Stop the helper and wait for it to exit (idempotent). */
  stop(): Promise<void>;
}
