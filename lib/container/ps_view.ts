/**
 * `ps` rows as docker computes them: short ids, quoted and truncated
 * commands, "Up 5 seconds" / "Exited (3) 2 seconds ago", published ports;
 * plus docker's `--filter` keys (id, name, status, exited, ancestor).
 * Pure apart from the live view (which reads /proc).
 * @module
 */

import { UsageError } from "../errors.ts";
import { humanDuration } from "../image/format.ts";
import type { BrokenContainer, ContainerRecord } from "./store.ts";
import type { NetworkRecord } from "./create.ts";
import { type LiveView, liveView } from "./live.ts";

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
  const cmd = c.process.args.join(" ");
  const mounts = (c.mounts as { volume?: { name: string }; source?: string }[])
    .map((m) => m.volume?.name ?? m.source ?? "");
  const net = c.network as NetworkRecord | undefined;
  const mode = net?.opts.mode === "bridge" ? net.opts.network : net?.opts.mode ?? "none";
  return {
    ID: noTrunc ? c.id : c.id.slice(0, 12),
    Image: c.spec.image,
    Command: JSON.stringify(noTrunc ? cmd : ellipsis(cmd, 20)),
    CreatedAt: goTime(c.created),
    RunningFor: `${humanDuration(Math.max(0, now - Date.parse(c.created)))} ago`,
    Ports: portsText(rec, v.running),
    State: v.status,
    Status: statusText(v, now),
    Size: "0B",
    Names: c.name,
    Labels: "",
    Mounts: mounts.map((m) => noTrunc ? m : ellipsis(m, 15)).join(","),
    Networks: mode,
    LocalVolumes: String(mounts.filter(Boolean).length),
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
    Mounts: "",
    Networks: "",
    LocalVolumes: "0",
  };
}

const STATUSES = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];
const KEYS = ["id", "name", "status", "exited", "ancestor"];

/** Parsed `--filter` values by key. */
export type Filters = Map<string, string[]>;

/**
 * Parse `--filter k=v` flags.
 * @throws {ContainerError}-style usage errors with docker's wording.
 */
export function parseFilters(flags: string[]): Filters {
  const out: Filters = new Map();
  for (const f of flags) {
    const eq = f.indexOf("=");
    if (eq < 1) throw new UsageError(`bad format of filter (expected name=value)`);
    const k = f.slice(0, eq).toLowerCase();
    const v = f.slice(eq + 1);
    if (!KEYS.includes(k)) throw new UsageError(`invalid filter '${k}'`);
    if (k === "status" && !STATUSES.includes(v)) {
      throw new UsageError(`invalid filter 'status=${v}'`, {
        hint: `status must be one of ${STATUSES.join(", ")}`,
      });
    }
    if (k === "exited" && !/^-?[0-9]+$/.test(v)) {
      throw new UsageError(`invalid filter 'exited=${v}'`);
    }
    out.set(k, [...(out.get(k) ?? []), v]);
  }
  return out;
}

function matches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern).test(value); // docker matches these as regular expressions
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return value.includes(pattern); // not a valid regex: plain substring
  }
}

/** True when `rec` passes every filter key (values of one key are OR'ed). */
export function matchFilters(rec: ContainerRecord, row: PsRow, f: Filters): boolean {
  const any = (k: string, test: (v: string) => boolean) => !f.has(k) || f.get(k)!.some(test);
  const live = liveView(rec);
  return any("id", (v) => matches(v, rec.config.id)) &&
    any("name", (v) => matches(v, `/${rec.config.name}`)) &&
    any("status", (v) => v === row.State) &&
    any("exited", (v) => live.status === "exited" && live.exitCode === Number(v)) &&
    any("ancestor", (v) => rec.config.spec.image === v || rec.config.image.id.includes(v));
}
