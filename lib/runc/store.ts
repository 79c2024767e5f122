/**
 * The runc-style runtime's state: one directory per container under the
 * runtime root (`--root`, default /run/tsbox-runc) holding `state.json`
 * (written atomically) and, between create and start, the `exec.fifo`
 * start gate. The OCI status is derived from the kernel: the init pid
 * alive or not, waiting at the gate or not, frozen or not.
 * @module
 */

import { join } from "../posix_path.ts";
import { readJsonIfExists, writeJsonAtomic } from "../fsutil.ts";
import { pidStartTime } from "../container/proc.ts";
import type { Spec, State } from "../oci/spec.ts";
import { TsboxError } from "../errors.ts";

/** Default runtime root (runc's is /run/runc). */
export const DEFAULT_RUNC_ROOT = "/run/tsbox-runc";

/** What `state.json` keeps. */
export interface RuntimeRecord {
  id: string;
  bundle: string;
  /** Absolute rootfs path. */
  rootfs: string;
  /** ISO time of create. */
  created: string;
  /** Host pid of the init / the container's process. */
  pid: number;
  /** Start time of `pid` (/proc/PID/stat field 22), to detect pid reuse. */
  pidStartTime?: number;
  /** The spec as read at create (hooks, annotations, process for exec). */
  spec: Spec;
  /** The cgroup path the container lives in (`linux.cgroupsPath` or the default). */
  cgroupsPath: string;
  /** `start` has released the gate. */
  started: boolean;
  /** `pause` froze it. */
  paused?: boolean;
  owner?: string;
}

/** Container ids as runc accepts them. */
const ID_RE = /^[\w+\-.]+$/;

/**
 * Check a container id (runc: `^[\w+-\.]+$`, not `.` or `..`).
 * @throws {TsboxError} invalid id (exit 1).
 */
export function validateId(id: string | undefined): string {
  if (!id) throw new TsboxError("container id cannot be empty", { exitCode: 1 });
  if (!ID_RE.test(id) || id === "." || id === "..") {
    throw new TsboxError(`invalid container id format: ${id}`, { exitCode: 1 });
  }
  return id;
}

/** The runtime's state directory. */
export class RuntimeStore {
  constructor(readonly root: string) {}

  /** Directory of container `id`. */
  dir(id: string): string {
    return join(this.root, id);
  }

  /** The start gate of container `id`. */
  fifo(id: string): string {
    return join(this.dir(id), "exec.fifo");
  }

  /** The record of `id`, or undefined. */
  read(id: string): RuntimeRecord | undefined {
    return readJsonIfExists<RuntimeRecord>(join(this.dir(id), "state.json"));
  }

  /**
   * The record of `id`.
   * @throws {TsboxError} runc's "container does not exist" (exit 1).
   */
  get(id: string): RuntimeRecord {
    const r = this.read(validateId(id));
    if (!r) throw new TsboxError(`container does not exist`, { exitCode: 1 });
    return r;
  }

  /** Write the record (atomically). */
  write(r: RuntimeRecord): void {
    writeJsonAtomic(join(this.dir(r.id), "state.json"), r, 0o600);
  }

  /** Every container id in the root. */
  ids(): string[] {
    try {
      return [...Deno.readDirSync(this.root)].filter((e) => e.isDirectory).map((e) => e.name)
        .sort();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return []; // nothing was ever created here
      throw err;
    }
  }
}

/** Whether the recorded init still runs (not a zombie, not a recycled pid). */
export function alive(r: RuntimeRecord): boolean {
  return r.pid > 0 && pidStartTime(r.pid) !== undefined && pidStartTime(r.pid) === r.pidStartTime;
}

/** The OCI status of a record. Reads the kernel; `frozen` says whether its cgroup is frozen. */
export function statusOf(r: RuntimeRecord, frozen = false): State["status"] {
  if (!alive(r)) return "stopped";
  if (!r.started) return "created";
  return frozen || r.paused ? "paused" : "running";
}

/** The OCI state document of a record (what `state` prints and hooks read on stdin). */
export function ociState(
  r: RuntimeRecord,
  status: State["status"],
): State & Record<string, unknown> {
  return {
    ociVersion: r.spec.ociVersion,
    id: r.id,
    status,
    pid: status === "stopped" ? 0 : r.pid,
    bundle: r.bundle,
    rootfs: r.rootfs,
    created: r.created,
    owner: r.owner ?? "",
    annotations: r.spec.annotations ?? {},
  };
}
