/**
 * Shapes shared by the volume subsystem: `MountSpec` (what the user asked,
 * after parsing, before anything exists), `PreparedMount` (what the init
 * mounts; JSON, stored in container.json and sent to the init) and the named
 * volume metadata kept beside `_data`.
 * @module
 */

/** The three mount kinds docker knows. */
export type MountType = "bind" | "volume" | "tmpfs";

/** Bind propagation modes (docker's names; `rprivate` is the default). */
export type Propagation = "rprivate" | "private" | "rshared" | "shared" | "rslave" | "slave";

/** All propagation modes, for validation. */
export const PROPAGATIONS: readonly Propagation[] = [
  "rprivate",
  "private",
  "rshared",
  "shared",
  "rslave",
  "slave",
];

/** One requested mount, validated but not yet backed by anything on disk. */
export interface MountSpec {
  type: MountType;
  /** bind: absolute host path; volume: name (`""` = anonymous); tmpfs: `""`. */
  source: string;
  /** Absolute, cleaned container path (never `/`). */
  target: string;
  readOnly: boolean;
  /** Bind/volume propagation inside the container. */
  propagation: Propagation;
  /** Volumes: do not copy the image's content into a new/empty volume. */
  noCopy: boolean;
  /** `idmap`: show the source through the container's id maps (needs a user namespace). */
  idmap?: boolean;
  /** bind: create a missing source dir (`-v` does, `--mount` refuses). */
  createSource: boolean;
  /** volume: labels for a volume created by this mount. */
  labels: Record<string, string>;
  /** volume: driver options (`type`, `device`, `o`) for a volume created by this mount. */
  options: Record<string, string>;
  /** tmpfs: kernel mount options (flags and data, e.g. `nosuid`, `size=1048576`). */
  tmpfsOptions: string[];
  /** The flag as typed (`-v a:/b`), for error messages. */
  origin: string;
}

/** What the mount target must be: a dir, or a file (bind of a file). */
export type TargetKind = "dir" | "file";

/** Volume facts the init needs (copy-up) and cleanup needs (anonymous). */
export interface PreparedVolume {
  name: string;
  /** `<paths.volumes>/<name>` (holds `_data` and the metadata). */
  dir: string;
  anonymous: boolean;
  /** Created by this container's prepareMounts. */
  created: boolean;
  /** Copy the image's content in if `_data` is still empty at mount time. */
  copyUp: boolean;
}

/**
 * One mount as the init performs it. Plain JSON: stored in container.json and
 * sent to the init over the init socket.
 */
export interface PreparedMount {
  type: MountType;
  /** Host path bound (bind: the host path, volume: its `_data`), `tmpfs`, or a device (fs volumes). */
  source: string;
  /** Absolute container path. */
  target: string;
  readOnly: boolean;
  propagation: Propagation;
  /** What to create at the target when missing. */
  targetKind: TargetKind;
  /** Set for named and anonymous volumes. */
  volume?: PreparedVolume;
  /** A local-driver volume with `--opt type=…` (mounted, not bound): fs type and options. */
  fs?: { type: string; options: string[] };
  /** tmpfs kernel options (flags and data). */
  tmpfsOptions?: string[];
  /** Bind it idmapped (an `idmap` option). */
  idmap?: boolean;
}

/** `<volume dir>/volume.json`: metadata of a named or anonymous volume. */
export interface VolumeMeta {
  Name: string;
  /** RFC 3339, seconds precision (as docker prints it). */
  CreatedAt: string;
  Labels: Record<string, string>;
  /** Local driver options (`type`, `device`, `o`). */
  Options: Record<string, string>;
  /** Created for one container (`-v /path`, image VOLUME); removed with it by `--rm`/`rm -v`. */
  Anonymous: boolean;
}

/** A volume as listed: metadata plus where its data lives. */
export interface VolumeInfo {
  meta: VolumeMeta;
  /** `<paths.volumes>/<name>`. */
  dir: string;
  /** `<dir>/_data`, the mountpoint. */
  mountpoint: string;
}

/** True when `x` looks like a PreparedMount (container.json is read back as `unknown`). */
export function isPreparedMount(x: unknown): x is PreparedMount {
  if (typeof x !== "object" || x === null) return false;
  const m = x as Record<string, unknown>;
  return typeof m.type === "string" && typeof m.target === "string" && typeof m.source === "string";
}
