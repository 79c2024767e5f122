/**
 * The container store: one directory per container under
 * `<root>/containers/<id>/` with `container.json` (tsbox's record: name,
 * image, network, volumes, `--rm`, logs, restart policy) and `state.json`
 * (rewritten atomically). The directory is also the container's OCI bundle:
 * its `config.json` is the runtime spec (bundle.ts), not the record. A container is built under a
 * staging name and made visible with one rename (create.ts); `rm` renames
 * it to a trash name carrying the remover's pid before tearing it down
 * (remove.ts), so a listing sees whole containers, containers being
 * removed, and — when a file is unreadable — broken records it names.
 * @module
 */

import type { UsernsRecord } from "../userns/maps.ts";
import { join } from "../posix_path.ts";
import type { Paths } from "../paths.ts";
import { containerDir } from "../paths.ts";
import type { ContainerSpec, ContainerState, ProcessSpec } from "./types.ts";
import {
  readJsonIfExists,
  readTextIfExists,
  writeCompactJsonAtomic,
  writeJsonAtomic,
} from "../fsutil.ts";
import { ContainerError } from "../errors.ts";
import { processOwner } from "../image/store_layout.ts";
import type { SecuritySettings } from "../security/types.ts";
import type { LogConfig } from "./log_config.ts";
import type { RestartPolicy } from "./restart_policy.ts";
import type { Healthcheck } from "./health_config.ts";
import type { NamespaceModes } from "./namespace_modes.ts";

/** `container.json`: what the container is (docker-level; the OCI spec is bundle.ts's). */
export interface ContainerConfig {
  /** 64 hex chars. */
  id: string;
  /** Unique name (docker rules). */
  name: string;
  /** ISO time of creation. */
  created: string;
  /** The request as parsed from flags. */
  spec: ContainerSpec;
  /** Image as resolved at create time. */
  image: { ref: string; id: string; layerDirs: string[] };
  /** The process the init runs. */
  process: ProcessSpec;
  /** Hostname inside the container. */
  hostname: string;
  /** Prepared mounts (volumes/ owns the shape). */
  mounts: unknown[];
  /** Parsed resource limits (lib/cgroup owns the shape). */
  resources?: unknown;
  /** Network attachment options/result (lib/net owns the shape). */
  network?: unknown;
  /** `--stop-signal`, else the image's StopSignal, if any. */
  stopSignal?: string;
  /** `--stop-timeout` seconds, if given. */
  stopTimeout?: number;
  /** Exposed ports (`80/tcp`): the image's, `--expose` and `-p` ones. */
  exposedPorts?: string[];
  /** `--log-driver` / `--log-opt` (absent: json-file without rotation). */
  logConfig?: LogConfig;
  /** `--restart` (absent: no). */
  restartPolicy?: RestartPolicy;
  /** The effective health check (flags over the image's HEALTHCHECK), if any. */
  healthcheck?: Healthcheck;
  /** `--init`: process.args start with the injected docker-init. */
  init?: boolean;
  /** Labels: the image's, overridden by `--label`/`--label-file` (absent in old records). */
  labels?: Record<string, string>;
  /** Capabilities, seccomp, masks, devices… as OCI fields (lib/security). */
  security: SecuritySettings;
  /** The container's own user namespace (absent: the host's, root is root). */
  userns?: UsernsRecord;
  /** `--pid`/`--ipc`/`--uts`, donors as `container:<id>` (absent in old records: the defaults). */
  namespaceModes?: NamespaceModes;
  /** /dev/shm size in bytes (`--shm-size`; absent: 64 MiB). */
  shmSize?: number;
}

/** The process removing a container (from its trash name). */
export interface Remover {
  pid: number;
  /** Start time of `pid`; undefined for a trash dir of an older tsbox. */
  startTime?: number;
}

/** A container as listed: config plus current state. */
export interface ContainerRecord {
  config: ContainerConfig;
  state: ContainerState;
  dir: string;
  /** Set when the directory is renamed for removal (remove.ts). */
  remover?: Remover;
}

/** A container directory whose record cannot be read (truncated, garbage, missing). */
export interface BrokenContainer {
  id: string;
  dir: string;
  /** The unreadable file. */
  file: string;
  /** Why it cannot be read. */
  reason: string;
  remover?: Remover;
}

/** What `scanContainers` finds. */
export interface ContainerScan {
  records: ContainerRecord[];
  broken: BrokenContainer[];
}

/** A container's record exists but cannot be read. Exit code 1, names the file. */
export class CorruptContainer extends ContainerError {
  constructor(readonly broken: BrokenContainer) {
    super(
      `container ${broken.id.slice(0, 12)} has a corrupt record: ${broken.file}: ${broken.reason}`,
      { exitCode: 1, hint: `remove it: tsbox rm -f ${broken.id}` },
    );
    this.name = "CorruptContainer";
  }
}

/** Prefix of a container directory being built (create.ts). */
export const STAGING_PREFIX = ".creating-";

/**
 * The staging name of container `id` built by this process: the prefix,
 * the id and its creator's `<pid>.<starttime>` (a prune leaves a live
 * creator's staging dir alone: creates build it outside the names lock).
 */
export function stagingName(id: string): string {
  return `${STAGING_PREFIX}${id}.${processOwner()}`;
}

/** The creator `<pid>.<starttime>` a staging dir's name carries (none: an older tsbox's). */
export function stagingOwner(name: string): string | undefined {
  return /^\.creating-[0-9a-f]{64}\.(\d+\.\d+)$/.exec(name)?.[1];
}
/** Prefix of a container directory being removed (remove.ts). */
export const TRASH_PREFIX = ".removing-";

const ID_RE = /^[0-9a-f]{64}$/;
const TRASH_RE = /^\.removing-([0-9a-f]{64})(?:\.([0-9]+)\.([0-9]+))?$/;

/** Trash directory name for `id` removed by `remover`. */
export function trashName(id: string, remover: Required<Remover>): string {
  return `${TRASH_PREFIX}${id}.${remover.pid}.${remover.startTime}`;
}

/** Id and remover of a trash directory name; undefined for any other name. */
export function parseTrashName(name: string): { id: string; remover: Remover } | undefined {
  const m = TRASH_RE.exec(name);
  if (!m) return undefined;
  return {
    id: m[1],
    remover: m[2] ? { pid: Number(m[2]), startTime: Number(m[3]) } : { pid: 0 },
  };
}

/** File name of tsbox's record in a container directory. */
export const RECORD_FILE = "container.json";

/**
 * Where tsbox before the OCI bundle kept its record; read when there is no
 * `container.json` and the file is a record (its `id`), and migrated to
 * `container.json` under the container lock (lock.ts) before a start
 * overwrites it with the OCI spec.
 */
const LEGACY_RECORD_FILE = "config.json";

/** Path of a container's record (`container.json`). */
export function recordPath(paths: Paths, id: string): string {
  return join(containerDir(paths, id), RECORD_FILE);
}

/** Path of a container's state.json. */
export function statePath(paths: Paths, id: string): string {
  return join(containerDir(paths, id), "state.json");
}

/** Parse one JSON file of a record; a SyntaxError becomes the file's name and reason. */
function readPart<T>(file: string): { value?: T; bad?: string } {
  try {
    return { value: readJsonIfExists<T>(file) };
  } catch (err) {
    if (err instanceof SyntaxError) return { bad: err.message };
    throw err;
  }
}

/**
 * Read the record in `dir` (container `id`).
 * @throws {CorruptContainer} container.json or state.json is unreadable, or
 * container.json is missing (also when the directory is gone: callers check).
 * A record of an older tsbox in `config.json` is read in its place.
 */
export function readRecordAt(dir: string, id: string, remover?: Remover): ContainerRecord {
  const broken = (file: string, reason: string) =>
    new CorruptContainer({ id, dir, file, reason, remover });
  let cfgFile = join(dir, RECORD_FILE);
  let cfg = readPart<ContainerConfig>(cfgFile);
  if (!cfg.bad && cfg.value === undefined) {
    const legacy = readPart<ContainerConfig>(join(dir, LEGACY_RECORD_FILE));
    if (legacy.value?.id === id) [cfgFile, cfg] = [join(dir, LEGACY_RECORD_FILE), legacy];
  }
  if (cfg.bad) throw broken(cfgFile, cfg.bad);
  if (!cfg.value || typeof cfg.value !== "object" || cfg.value.id !== id) {
    throw broken(cfgFile, cfg.value ? "not a container config" : "missing");
  }
  const stFile = join(dir, "state.json");
  const st = readPart<ContainerState>(stFile);
  if (st.bad) throw broken(stFile, st.bad);
  if (st.value !== undefined && (typeof st.value !== "object" || !st.value?.status)) {
    throw broken(stFile, "not a container state");
  }
  return { config: cfg.value, state: st.value ?? { status: "created", pid: 0 }, dir, remover };
}

/**
 * Read one container; undefined when it does not exist.
 * @throws {CorruptContainer} its record is unreadable.
 */
export function readContainer(paths: Paths, id: string): ContainerRecord | undefined {
  const dir = containerDir(paths, id);
  try {
    return readRecordAt(dir, id);
  } catch (err) {
    // removed meanwhile (renamed away between our reads): it does not exist
    if (err instanceof CorruptContainer && !dirExists(dir)) return undefined;
    throw err;
  }
}

function dirExists(dir: string): boolean {
  try {
    return Deno.statSync(dir).isDirectory;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Every container directory (being removed or not): its id, path and remover. */
function containerDirs(paths: Paths): { id: string; dir: string; remover?: Remover }[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(paths.containers)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return []; // no container was ever created
    throw err;
  }
  const out = [];
  for (const e of entries) {
    if (!e.isDirectory) continue;
    const trash = parseTrashName(e.name);
    if (!trash && !ID_RE.test(e.name)) continue; // staging dirs, temp files
    out.push({
      id: trash?.id ?? e.name,
      dir: join(paths.containers, e.name),
      remover: trash?.remover,
    });
  }
  return out;
}

/** Every container directory: readable records, being removed or not, and broken ones. */
export function scanContainers(paths: Paths): ContainerScan {
  const out: ContainerScan = { records: [], broken: [] };
  for (const { id, dir, remover } of containerDirs(paths)) {
    try {
      out.records.push(readRecordAt(dir, id, remover));
    } catch (err) {
      if (!(err instanceof CorruptContainer)) throw err;
      if (dirExists(dir)) out.broken.push(err.broken); // else: removed while listed
    }
  }
  return out;
}

/**
 * The head every record starts with (createContainer's key order, written
 * compact): the id and the name, a docker name needing no JSON escape.
 */
const HEAD_RE = /^\{"id":"([0-9a-f]{64})","name":"([a-zA-Z0-9][a-zA-Z0-9_.-]*)",/;

/**
 * The id and name of every container `listContainers` lists, for a
 * create's check that its name is free (a broken record is skipped with
 * the same warning). Each record's name is read from its head without parsing the rest:
 * the parse of every ~10 KB record, under the lock every create takes,
 * was most of the time it held it. A record with another head (an older
 * tsbox's) is read whole.
 */
export function containerNames(paths: Paths): { id: string; name: string }[] {
  const out: { id: string; name: string }[] = [];
  for (const { id, dir, remover } of containerDirs(paths)) {
    const text = readTextIfExists(join(dir, RECORD_FILE)) ?? "";
    const head = HEAD_RE.exec(text.slice(0, 256));
    // whole as far as its end shows (a cut-short record is read, and warned about, in full)
    if (head && head[1] === id && /\}\n?$/.test(text)) {
      out.push({ id, name: head[2] });
      continue;
    }
    try {
      const rec = readRecordAt(dir, id, remover);
      out.push({ id, name: rec.config.name });
    } catch (err) {
      if (!(err instanceof CorruptContainer)) throw err;
      if (dirExists(dir)) warnBroken([err.broken]); // else: removed while listed
    }
  }
  return out;
}

// Broken records already warned about by this process (one warning each).
const warned = new Set<string>();

/**
 * All readable containers on disk (unordered), including ones being
 * removed; a broken record is skipped with a one-line warning on stderr.
 */
export function listContainers(paths: Paths): ContainerRecord[] {
  const { records, broken } = scanContainers(paths);
  warnBroken(broken);
  return records;
}

/** Print one warning line on stderr per broken record (once per process). */
export function warnBroken(broken: BrokenContainer[]): void {
  for (const b of broken) {
    if (warned.has(b.dir)) continue;
    warned.add(b.dir);
    console.error(
      `tsbox: warning: skipping container ${
        b.id.slice(0, 12)
      }: corrupt record ${b.file}: ${b.reason} (remove it: tsbox rm -f ${b.id})`,
    );
  }
}

/** Image ids referenced by any container (running or not). */
export function containerImageIds(paths: Paths): Set<string> {
  return new Set(listContainers(paths).map((c) => c.config.image.id));
}

/**
 * Write state.json atomically. On a full disk it is overwritten in place
 * instead (the record is one small file: its block is already allocated),
 * so an exit code is never lost to ENOSPC.
 */
export function writeState(paths: Paths, id: string, state: ContainerState): void {
  const file = statePath(paths, id);
  try {
    writeJsonAtomic(file, state);
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOSPC") throw err;
    overwriteInPlace(file, JSON.stringify(state, null, 2) + "\n");
  }
}

/** Overwrite `file` from offset 0, padding with spaces so no old byte follows the JSON. */
function overwriteInPlace(file: string, text: string): void {
  const f = Deno.openSync(file, { read: true, write: true });
  try {
    const json = new TextEncoder().encode(text);
    const bytes = new Uint8Array(Math.max(json.length, f.statSync().size)).fill(0x20);
    bytes.set(json);
    let n = 0;
    while (n < bytes.length) n += f.writeSync(bytes.subarray(n));
  } finally {
    f.close();
  }
}

/** Write the record (`container.json`) atomically. */
export function writeConfig(paths: Paths, config: ContainerConfig): void {
  writeCompactJsonAtomic(recordPath(paths, config.id), config);
}
