/**
 * What the parent hands the init (over the init socket, never argv) and the
 * messages both sides exchange. JSON, one message per SEQPACKET datagram.
 * @module
 */

import type { ProcessSpec } from "./types.ts";
import type { SecuritySettings } from "../security/types.ts";
import type { EncodedSeccomp } from "../seccomp/cache.ts";

/** Everything the init needs to build the container and exec the command. */
export interface InitSpec {
  id: string;
  /** Where the overlay is mounted (`containers/<id>/merged`). */
  rootfs: string;
  /** Image layer dirs, BOTTOM first. */
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  hostname: string;
  /** Host files bind-mounted over /etc/hosts, /etc/resolv.conf, /etc/hostname. */
  etcFiles: { hosts: string; resolvConf: string; hostname: string };
  /** Unshare a network namespace (false for `--network host`). */
  newNetns: boolean;
  /** Volume mounts, applied by volumes/mount.ts (opaque here). */
  mounts: unknown[];
  /** The command. uid/gid are resolved by the init from the image's /etc/passwd when `user` is a name. */
  process: ProcessSpec;
  /** The container's cgroup dirs, bound at these paths under /sys/fs/cgroup. */
  cgroupMounts: { source: string; target: string }[];
  /** `security.linux.seccomp` compiled by the parent (absent: unconfined). */
  seccomp?: EncodedSeccomp;
  /** Capabilities, seccomp, masks, devices, sysctls, rlimits (OCI fields). */
  security: SecuritySettings;
}

/** Parent → init. */
export type ToInit =
  | { type: "spec"; spec: InitSpec }
  | { type: "go" };

/** Init → parent. */
export type FromInit =
  | { type: "ns" } // namespaces exist (netns can be configured)
  | { type: "ready"; pty: boolean } // about to exec; carries the pty master fd when pty
  | { type: "error"; message: string; code: number };

/** Env var carrying the init socket's fd number (runc does the same with _LIBCONTAINER_INITPIPE). */
export const INIT_FD_ENV = "_TSBOX_INIT_FD";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Encode a message. */
export function encodeMsg(m: ToInit | FromInit): Uint8Array {
  return enc.encode(JSON.stringify(m));
}

/** Decode a message (empty = peer closed → undefined). */
export function decodeMsg<T extends ToInit | FromInit>(b: Uint8Array): T | undefined {
  if (b.length === 0) return undefined;
  return JSON.parse(dec.decode(b)) as T;
}
