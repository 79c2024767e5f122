/**
 * What the parent hands the init (over the init socket, never argv) and the
 * messages both sides exchange. JSON, one message per SEQPACKET datagram.
 * The container is described by its OCI runtime spec; beside it travel only
 * what OCI has no field for (tsbox's overlay root, volume copy-up) and what
 * the parent prepared (the compiled seccomp filter, the cgroup dirs).
 * @module
 */

import type { Spec } from "../oci/spec.ts";
import type { EncodedSeccomp } from "../seccomp/encoded.ts";
import type { OverlayRoot } from "../init/rootfs_plan.ts";

/** Everything the init needs to build the container and exec the command. */
export interface InitSpec {
  id: string;
  /** The OCI spec; `root.path` is absolute. */
  spec: Spec;
  /** The bundle dir (relative bind sources and hooks are relative to it). */
  bundle: string;
  /** tsbox images: mount this overlay at `root.path` instead of binding it onto itself. */
  overlay?: OverlayRoot;
  /** Volumes to fill from the image before their bind (docker's copy-up). */
  copyUps: { target: string; volumeDir: string; dataDir: string }[];
  /** The container's cgroup dirs, shown at these paths by a `cgroup` mount. */
  cgroupMounts: { source: string; target: string }[];
  /** `linux.seccomp` compiled by the parent (absent: unconfined). */
  seccomp?: EncodedSeccomp;
  /** tsbox run: the init dies with its supervisor (PR_SET_PDEATHSIG). */
  supervised: boolean;
  /** runc mode: after "go", block writing this fifo until `start` reads it. */
  startGate?: string;
  /**
   * runc mode for a tsbox container under conmon (no start gate): after
   * "go" the init waits until `create` (pid `runtimePid`) has exited and
   * it is reparented to the supervisor (pid `pid`, a subreaper), then dies
   * with it as a supervised init does; reparented anywhere else (the
   * supervisor died first) it does not start the command.
   */
  supervisor?: { pid: number; runtimePid: number };
  /** runc mode: after "ns", wait for "ns-done" (the parent runs prestart/createRuntime hooks). */
  holdAfterNs?: boolean;
  /**
   * The init is in a user namespace (made by the stage, init_stage.ts): it
   * reports its pid, waits for "userns-done" (maps, idmapped layers), then
   * becomes the namespace's root.
   */
  userns?: boolean;
  /** Rootless: already in a user namespace (device nodes are bound from the host). */
  unprivileged?: boolean;
  /** `--preserve-fds N`: fds 3 … 3+N-1 stay open for the command. */
  preserveFds?: number;
  /**
   * `--ipc container:`: `spec.mounts[index]` (/dev/shm) is the donor's
   * /dev/shm mount, cloned from the mount namespace at `mntns` (a path the
   * parent holds open) and attached, not bound (lib/init/donor_shm.ts).
   */
  donorShm?: { index: number; mntns: string };
}

/** Parent → init. */
export type ToInit =
  | { type: "spec"; spec: InitSpec }
  | { type: "ns-done"; state: string } // runc mode: hooks ran; the state JSON for the init's hooks
  | { type: "lower" } // carries one idmapped image layer (BOTTOM first)
  | { type: "idmapped"; index: number } // carries the idmapped source of spec.mounts[index]
  | { type: "userns-done" } // id maps written, all layers sent
  | { type: "go" };

/** Init → parent. */
export type FromInit =
  | { type: "userns"; pid: number } // in the user namespace, waiting for maps; pid in the host's view
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
