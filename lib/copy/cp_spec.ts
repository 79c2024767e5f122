/**
 * What the `cp` CLI hands the hidden `__cp` helper (JSON in an environment
 * variable) and what the helper answers (one JSON line on stderr; the tar
 * travels on stdout or stdin).
 * @module
 */

/** Environment variable carrying the `CpSpec`. */
export const CP_SPEC_ENV = "TSBOX_CP_SPEC";

/** Where the container's filesystem is. */
export type CpWhere =
  /** Running: join the mount namespace of `pid` (its volumes included). */
  | { kind: "running"; pid: number; pidStartTime?: number }
  /** Stopped: mount its overlay and volumes in a private namespace and chroot there. */
  | {
    kind: "stopped";
    merged: string;
    lowerDirs: string[];
    upper: string;
    work: string;
    mounts: unknown[];
  };

/** One copy, as seen from inside the container. */
export interface CpSpec {
  where: CpWhere;
  /** Container name for messages. */
  container: string;
  /** `out`: tar `path` to stdout; `in`: extract stdin below `path`. */
  op: "out" | "in";
  /** The container path as typed. */
  path: string;
  /** `-L`: follow a symlink at the source path. */
  follow: boolean;
  /** `-a`: keep uid/gid. */
  archive: boolean;
  /** For `in` from a host path: the source as typed and found (docker's rules); absent for `-`. */
  source?: { typed: string; base: string; isDir: boolean };
}

/** The helper's answer. */
export type CpReply =
  | { ok: true; isDir?: boolean; base?: string; bytes: number }
  | { ok: false; message: string; code: number };
