/**
 * `ps` rows as docker computes them: short ids, quoted and truncated
 * commands, "Up 5 seconds" / "Exited (3) 2 seconds ago", published ports;
 * plus docker's `--filter` keys (id, name, label, status, exited, ancestor,
 * volume, network, before, since, health, publish, expose).
 * Pure apart from the live view (which reads /proc).
 * @module
 */

import { ContainerError, FilterError, TsboxError } from "../errors.ts";
import {
  anyOf,
  type Filters,
  matchLabels,
  matchPattern,
  parseFilters as parseFilterArgs,
} from "../filters.ts";
import { familiarName, parseReference } from "../image/reference.ts";
import { humanDuration } from "../image/format.ts";
import type { BrokenContainer, ContainerRecord } from "./store.ts";
import type { NetworkRecord } from "./create.ts";
import { networkNamesOf } from "../net/endpoints.ts";
import { type LiveView, liveView } from "./live.ts";
import { restartStateIn } from "./restart_state.ts";
import { healthIn } from "./health_state.ts";
import { isPaused } from "./pause.ts";
import { userArgs } from "./init_process.ts";

/** One `ps` row; keys are docker's `--format` field names. */
export interface PsRow {
  ID: string;
  Image: string;
  Command: string;
  CreatedAt: string;
  RunningFor: string;
  Ports: string;
  State: string;
  Status: string;
  Size: string;
  Names: string;
  Labels: string;
  /** `{{.Label "k"}}`: the value of one label ("" when absent). */
  Label: (name: string) => string;
  Mounts: string;
  Networks: string;
  LocalVolumes: string;
}

/** Header of each field in `table` output. */
export const HEADERS: Record<string, string> = {
  ID: "CONTAINER ID",
  Image: "IMAGE",
  Command: "COMMAND",
  CreatedAt: "CREATED AT",
  RunningFor: "CREATED",
  Ports: "PORTS",
  State: "STATE",
  Status: "STATUS",
  Size: "SIZE",
  Names: "NAMES",
  Labels: "LABELS",
  Mounts: "MOUNTS",
  Networks: "NETWORKS",
  LocalVolumes: "LOCAL VOLUMES",
};

/** docker's formatter.Ellipsis: cut to `max` runes, the last one "…". */
export function ellipsis(s: string, max: number): string {
  const r = [...s];
  return r.length <= max ? s : r.slice(0, max - 1).join("") + "…";
}

/** Go's time.String of a UTC time: `2024-01-02 03:04:05 +0000 UTC`. */
export function goTime(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19).replace("T", " ")} +0000 UTC`;
}

/** The STATUS column. */
export function statusText(v: LiveView, now = Date.now()): string {
  const ago = (iso?: string) => humanDuration(Math.max(0, now - (iso ? Date.parse(iso) : now)));
  switch (v.status) {
    case "running":
      return `Up ${ago(v.startedAt)}`;
    case "exited":
      return `Exited (${v.exitCode}) ${ago(v.finishedAt)} ago`;
    case "removing":
      return "Removal In Progress";
    case "dead":
      return "Dead";
    default:
      return "Created";
  }
}

/** The health of a running container with a health check ("none" otherwise). */
export function healthOf(rec: ContainerRecord, v: LiveView): string {
  if (!rec.config.healthcheck || !v.running) return "none";
  return healthIn(rec.dir)?.Status ?? "starting";
}

/** docker's " (healthy)" / " (unhealthy)" / " (health: starting)" after "Up …". */
function healthSuffix(rec: ContainerRecord, v: LiveView): string {
  const h = healthOf(rec, v);
  return h === "none" ? "" : h === "starting" ? " (health: starting)" : ` (${h})`;
}

/** Published ports as docker lists them (`0.0.0.0:8080->80/tcp`). */
export function portsText(rec: ContainerRecord, running: boolean): string {
  const net = rec.config.network as NetworkRecord | undefined;
  if (!running || !net?.attachment) return "";
  return net.attachment.ports.map((p) =>
    `${p.hostIP || "0.0.0.0"}:${p.hostPort}->${p.containerPort}/${p.protocol}`
  ).join(", ");
}

/** Build the row of one container. */
export function psRow(rec: ContainerRecord, noTrunc: boolean, now = Date.now()): PsRow {
  const c = rec.config;
  const v = liveView(rec);
  // between two runs of a restart policy the monitor holds it as "starting"
  const restarting = v.starting && restartStateIn(rec.dir).restarting;
  const paused = v.running && isPaused(rec);
  const cmd = userArgs(c.process.args, c.init).join(" ");
  const mounts = (c.mounts as { volume?: { name: string }; source?: string }[])
    .map((m) => m.volume?.name ?? m.source ?? "");
  // docker: the names of NetworkSettings.Networks, sorted
  const networks = [...networkNamesOf(c.network as NetworkRecord | undefined)].sort().join(",");
  // keys in docker's --format json order (alphabetical, a Go map)
  return {
    Command: JSON.stringify(noTrunc ? cmd : ellipsis(cmd, 20)),
    CreatedAt: goTime(c.created),
    ID: noTrunc ? c.id : c.id.slice(0, 12),
    Image: c.spec.image,
    Label: (name: string) => containerLabels(rec)[name] ?? "",
    Labels: Object.entries(containerLabels(rec)).map(([k, x]) => `${k}=${x}`).sort().join(","),
    LocalVolumes: String(mounts.filter(Boolean).length),
    Mounts: mounts.map((m) => noTrunc ? m : ellipsis(m, 15)).join(","),
    Names: c.name,
    Networks: networks,
    Ports: portsText(rec, v.running),
    RunningFor: `${humanDuration(Math.max(0, now - Date.parse(c.created)))} ago`,
    Size: "0B",
    State: restarting ? "restarting" : paused ? "paused" : v.status,
    Status: restarting
      ? `Restarting (${v.exitCode}) ${
        humanDuration(Math.max(0, now - Date.parse(v.finishedAt ?? c.created)))
      } ago`
      : statusText(v, now) + (paused ? " (Paused)" : healthSuffix(rec, v)),
  };
}

/** The row of a container whose record cannot be read: its id, state "dead", and the bad file. */
export function brokenRow(b: BrokenContainer, noTrunc: boolean): PsRow {
  return {
    ID: noTrunc ? b.id : b.id.slice(0, 12),
    Image: "",
    Command: '""',
    CreatedAt: "",
    RunningFor: "",
    Ports: "",
    State: "dead",
    Status: `Corrupt record ${b.file}: ${b.reason}`,
    Size: "0B",
    Names: "",
    Labels: "",
    Label: () => "",
    Mounts: "",
    Networks: "",
    LocalVolumes: "0",
  };
}

const STATUSES = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];
/** The `--filter` keys `ps` honours. */
export const PS_FILTER_KEYS = [
  "id",
  "name",
  "label",
  "status",
  "exited",
  "ancestor",
  "volume",
  "network",
  "before",
  "since",
  "health",
  "publish",
  "expose",
] as const;

/**
 * Parse `ps --filter` flags, checking values as docker's daemon does.
 * @throws {FilterError} unknown key or bad value (exit 1); {UsageError} no `=`.
 */
export function parseFilters(flags: string[]): Filters {
  const f = parseFilterArgs(flags, PS_FILTER_KEYS);
  for (const v of f.get("status") ?? []) {
    if (!STATUSES.includes(v)) {
      throw new FilterError(`invalid filter 'status=${v}'`, {
        hint: `status must be one of ${STATUSES.join(", ")}`,
      });
    }
  }
  for (const v of f.get("exited") ?? []) {
    if (!/^-?[0-9]+$/.test(v)) throw new FilterError(`invalid filter 'exited=${v}'`);
  }
  for (const v of f.get("health") ?? []) {
    if (!["starting", "healthy", "unhealthy", "none"].includes(v)) {
      throw new FilterError(`Unrecognised filter value for health: ${v}`);
    }
  }
  return f;
}

/** The labels of a container (records older than labels have none). */
export function containerLabels(rec: ContainerRecord): Record<string, string> {
  return rec.config.labels ?? {};
}

function sameImage(rec: ContainerRecord, v: string): boolean {
  const id = rec.config.image.id.replace(/^sha256:/, "");
  const want = v.replace(/^sha256:/, "");
  if (/^[0-9a-f]{4,64}$/.test(want) && id.startsWith(want)) return true;
  const norm = (r: string) => {
    try {
      const p = parseReference(r);
      return familiarName({ ...p, tag: p.tag ?? (p.digest ? undefined : "latest") });
    } catch (err) {
      // not a reference (a bare id prefix was tried above): compare as typed
      if (!(err instanceof TsboxError)) throw err;
      return r;
    }
  };
  return norm(rec.config.spec.image) === norm(v) || rec.config.spec.image === v;
}

/**
 * Containers named by the `before`/`since` values, looked up in `all`.
 * @throws {ContainerError} a name or id that is no container (docker: No such container).
 */
export function createdBounds(
  f: Filters,
  all: ContainerRecord[],
): { before?: number; since?: number } {
  const at = (ref: string) => {
    const r = all.find((c) => c.config.name === ref || c.config.id === ref) ??
      all.find((c) => c.config.id.startsWith(ref));
    if (!r) throw new ContainerError(`No such container: ${ref}`, { exitCode: 1 });
    return Date.parse(r.config.created);
  };
  const b = f.get("before")?.map(at);
  const s = f.get("since")?.map(at);
  return {
    before: b ? Math.min(...b) : undefined,
    since: s ? Math.max(...s) : undefined,
  };
}

/** True when `rec` passes every filter key (values of one key are OR'ed). */
export function matchFilters(
  rec: ContainerRecord,
  row: PsRow,
  f: Filters,
  bounds: { before?: number; since?: number } = {},
): boolean {
  const c = rec.config;
  const live = liveView(rec);
  const created = Date.parse(c.created);
  const mounts = c.mounts as { volume?: { name: string }; source?: string; target?: string }[];
  const net = c.network as NetworkRecord | undefined;
  const ports = net?.opts.ports ?? [];
  const portMatch = (v: string) => {
    const [port, proto = "tcp"] = v.split("/");
    return ports.some((p) => String(p.containerPort) === port && p.protocol === proto);
  };
  return anyOf(f, "id", (v) => matchPattern(v, c.id)) &&
    anyOf(f, "name", (v) => matchPattern(v, `/${c.name}`) || matchPattern(v, c.name)) &&
    matchLabels(containerLabels(rec), f.get("label")) &&
    anyOf(f, "status", (v) => v === row.State) &&
    anyOf(f, "exited", (v) => live.status === "exited" && live.exitCode === Number(v)) &&
    anyOf(f, "ancestor", (v) => sameImage(rec, v)) &&
    anyOf(
      f,
      "volume",
      (v) => mounts.some((m) => m.volume?.name === v || m.source === v || m.target === v),
    ) &&
    anyOf(f, "network", (v) => networkNamesOf(net).includes(v)) &&
    anyOf(f, "health", (v) => v === healthOf(rec, live)) &&
    anyOf(f, "publish", portMatch) &&
    anyOf(f, "expose", portMatch) &&
    (bounds.before === undefined || created < bounds.before) &&
    (bounds.since === undefined || created > bounds.since);
}
