/**
 * The container store: one directory per container under
 * `<root>/containers/<id>/` with `config.json` (fixed at create) and
 * `state.json` (rewritten atomically). Listing reads what is on disk; a
 * directory without a readable config.json is a half-created container and
 * is skipped.
 * @module
 */

import { join } from "node:path";
import type { Paths } from "../paths.ts";
import { containerDir } from "../paths.ts";
import type { ContainerSpec, ContainerState, ProcessSpec } from "./types.ts";
import { readJsonIfExists, writeJsonAtomic } from "../fsutil.ts";
import type { LogConfig } from "./log_config.ts";
import type { RestartPolicy } from "./restart_policy.ts";
import type { Healthcheck } from "./health_config.ts";
import type { SecuritySettings } from "../security/types.ts";

/** `config.json`: what the container is. */
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
}

/** A container as listed: config plus current state. */
export interface ContainerRecord {
  config: ContainerConfig;
  state: ContainerState;
  dir: string;
}

/** Path of a container's config.json. */
export function configPath(paths: Paths, id: string): string {
  return join(containerDir(paths, id), "config.json");
}

/** Path of a container's state.json. */
export function statePath(paths: Paths, id: string): string {
  return join(containerDir(paths, id), "state.json");
}

/** Read one container; undefined when it does not exist or is half-created. */
export function readContainer(paths: Paths, id: string): ContainerRecord | undefined {
  const config = readJsonIfExists<ContainerConfig>(configPath(paths, id));
  if (!config) return undefined;
  const state = readJsonIfExists<ContainerState>(statePath(paths, id)) ??
    { status: "created", pid: 0 };
  return { config, state, dir: containerDir(paths, id) };
}

/** All containers on disk (unordered). */
export function listContainers(paths: Paths): ContainerRecord[] {
  const out: ContainerRecord[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(paths.containers)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return out; // no container was ever created
    throw err;
  }
  for (const e of entries) {
    if (!e.isDirectory || !/^[0-9a-f]{64}$/.test(e.name)) continue;
    const rec = readContainer(paths, e.name);
    if (rec) out.push(rec);
  }
  return out;
}

/** Image ids referenced by any container (running or not). */
export function containerImageIds(paths: Paths): Set<string> {
  return new Set(listContainers(paths).map((c) => c.config.image.id));
}

/** Write state.json atomically. */
export function writeState(paths: Paths, id: string, state: ContainerState): void {
  writeJsonAtomic(statePath(paths, id), state);
}

/** Write config.json atomically. */
export function writeConfig(paths: Paths, config: ContainerConfig): void {
  writeJsonAtomic(configPath(paths, config.id), config);
}
