/**
 * `tsbox events [--since T] [--until T] [-f KEY=VALUE] [--format F]`:
 * docker's event stream from the root's event log (lib/container/events.ts).
 * Without --since only new events are shown; with --until the past ones up
 * to it, and the command exits once that time has passed. Follows the log
 * (polling; a rotation is noticed by the file's inode) until then, or ^C.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, type FlagDef, list, parseFlags, str } from "./flags.ts";
import { FilterError, UsageError } from "../errors.ts";
import { anyOf, type Filters, matchLabels, parseFilters, parseUntil } from "../filters.ts";
import { compileTemplate, runTemplate } from "../template/format.ts";
import { goJson } from "../template/funcs.ts";
import {
  type EventRecord,
  eventsPath,
  parseEventLines,
  rotatedEventsPath,
} from "../container/events.ts";
import { writeAll } from "../../ffi/fds.ts";

const FLAGS: FlagDef[] = [
  { name: "since", type: "string" },
  { name: "until", type: "string" },
  { name: "filter", short: "f", type: "list" },
  { name: "format", type: "string" },
  { name: "help", type: "bool" },
];

const USAGE = `Usage: tsbox events [OPTIONS]

Get real time events from tsbox (every tsbox command and monitor logs them)

Options:
  -f, --filter KEY=VALUE  container=ID|NAME, event=ACTION, image=REF, label=K[=V],
                          network=ID|NAME, volume=NAME, type=container|network|volume
      --format FMT        json, or a Go template ({{.Status}} {{.ID}} {{.Actor.Attributes.name}})
      --since T           show events since T (Unix time, RFC 3339 date, or a duration: 10m)
      --until T           stream events until T, then exit`;

const FILTER_KEYS = [
  "container",
  "event",
  "image",
  "label",
  "network",
  "scope",
  "type",
  "volume",
] as const;
const POLL_MS = 100;

/**
 * The event as docker's templates see it (Go field names) and its JSON
 * prints it. The deprecated status/id/from are a container event's only
 * (docker fills them for containers and leaves them empty, so unprinted,
 * for the other types).
 */
export function eventView(ev: EventRecord): Record<string, unknown> {
  const legacy = ev.Type === "container";
  const from = legacy ? ev.Actor.Attributes.image ?? "" : "";
  const json = {
    ...(legacy ? { status: ev.Action, id: ev.Actor.ID, from } : {}),
    Type: ev.Type,
    Action: ev.Action,
    Actor: ev.Actor,
    scope: ev.scope,
    time: ev.time,
    timeNano: Number(ev.timeNano),
  };
  const view: Record<string, unknown> = {
    Status: legacy ? ev.Action : "",
    ID: legacy ? ev.Actor.ID : "",
    From: from,
    Type: ev.Type,
    Action: ev.Action,
    Actor: ev.Actor,
    Scope: ev.scope,
    Time: ev.time,
    TimeNano: json.timeNano,
  };
  // {{json .}} and --format json print docker's JSON names (status, id, from, …)
  Object.defineProperty(view, "toJSON", { value: () => json, enumerable: false });
  return view;
}

/** docker's default line: `TIME TYPE ACTION ID (k=v, …)`, attributes sorted by key. */
export function defaultLine(ev: EventRecord): string {
  const nano = BigInt(ev.timeNano);
  const iso = new Date(Number(nano / 1_000_000n)).toISOString().slice(0, 19);
  const frac = (nano % 1_000_000_000n).toString().padStart(9, "0");
  const attrs = Object.keys(ev.Actor.Attributes).sort()
    .map((k) => `${k}=${ev.Actor.Attributes[k]}`).join(", ");
  return `${iso}.${frac}Z ${ev.Type} ${ev.Action} ${ev.Actor.ID}${attrs ? ` (${attrs})` : ""}`;
}

/**
 * docker's event filters (daemon/events/filter.go): `container`, `network`
 * and `volume` by id or name prefix (each applies to every event, as
 * docker's: `network=x` keeps only x's events), event (also
 * `health_status`), image, label, type, scope.
 */
export function matchEvent(f: Filters, ev: EventRecord): boolean {
  const a = ev.Actor.Attributes;
  const prefixOf = (v: string, s: string | undefined) => s !== undefined && s.startsWith(v);
  const byName = (v: string) => prefixOf(v, ev.Actor.ID) || prefixOf(v, a.name);
  return anyOf(f, "container", byName) &&
    anyOf(f, "network", byName) &&
    anyOf(f, "volume", byName) &&
    anyOf(f, "event", (v) => ev.Action === v || ev.Action.startsWith(`${v}: `)) &&
    anyOf(f, "image", (v) => a.image === v || a.image?.split(":")[0] === v) &&
    anyOf(f, "type", (v) => v === ev.Type) &&
    anyOf(f, "scope", (v) => v === ev.scope) &&
    matchLabels(a, f.get("label"));
}

/** A time flag as ms since the epoch (docker's forms). */
function timeFlag(flag: string, v: string | undefined, now: number): number | undefined {
  if (v === undefined) return undefined;
  try {
    return parseUntil(v, now);
  } catch (err) {
    if (!(err instanceof FilterError)) throw err;
    throw new UsageError(`invalid value for --${flag}: ${v}`, {
      hint: "a Unix time, an RFC 3339 date, or a duration such as 10m",
      cause: err,
    });
  }
}

/** Reads the log from where it left off; follows a rotation (inode change). */
class LogFollower {
  #file?: Deno.FsFile;
  #ino?: number;
  #rest = "";
  constructor(readonly path: string) {}

  /** Every complete line appended since the last call (all of them the first time). */
  read(): EventRecord[] {
    const out: EventRecord[] = [];
    const ino = inodeOf(this.path);
    if (this.#file && ino !== this.#ino) {
      out.push(...this.#drain()); // rotated: finish the old file first
      this.#file.close();
      this.#file = undefined;
      this.#rest = "";
    }
    if (!this.#file && ino !== undefined) {
      try {
        this.#file = Deno.openSync(this.path, { read: true });
        this.#ino = this.#file.statSync().ino ?? undefined;
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err; // rotated between stat and open
      }
    }
    if (this.#file) out.push(...this.#drain());
    return out;
  }

  #drain(): EventRecord[] {
    const dec = new TextDecoder();
    const buf = new Uint8Array(64 * 1024);
    let text = this.#rest;
    for (;;) {
      const n = this.#file!.readSync(buf);
      if (n === null || n === 0) break;
      text += dec.decode(buf.subarray(0, n), { stream: true });
    }
    const cut = text.lastIndexOf("\n");
    this.#rest = text.slice(cut + 1); // a line still being written
    return parseEventLines(text.slice(0, cut + 1));
  }

  close(): void {
    this.#file?.close();
  }
}

function inodeOf(path: string): number | undefined {
  try {
    return Deno.statSync(path).ino ?? undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // no event logged yet
    throw err;
  }
}

function readAllEvents(path: string): EventRecord[] {
  try {
    return parseEventLines(Deno.readTextFileSync(path));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/** `tsbox events`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, FLAGS);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  if (p.positionals.length) {
    throw new UsageError(`"events" accepts no arguments`, { hint: USAGE.split("\n")[0] });
  }
  const now = Date.now();
  const until = timeFlag("until", str(p, "until"), now);
  const since = timeFlag("since", str(p, "since"), now) ?? (until !== undefined ? 0 : now);
  const filters = parseFilters(list(p, "filter"), FILTER_KEYS);
  const format = str(p, "format");
  const t = format === undefined || format === "json"
    ? undefined
    : compileTemplate(format.replaceAll("\\t", "\t").replaceAll("\\n", "\n"));
  const render = (ev: EventRecord) =>
    t
      ? runTemplate(t, eventView(ev), "events.Message")
      : format === "json"
      ? goJson(eventView(ev))
      : defaultLine(ev);
  const enc = new TextEncoder();
  const emit = (evs: EventRecord[]) => {
    let text = "";
    for (const ev of evs) {
      const ms = Number(BigInt(ev.timeNano) / 1_000_000n);
      if (ms < since || (until !== undefined && ms > until)) continue;
      if (matchEvent(filters, ev)) text += render(ev) + "\n";
    }
    if (text) writeAll(1, enc.encode(text));
  };

  const follower = new LogFollower(eventsPath(ctx.paths));
  try {
    // the rotated file first, unless the current one is new since the rotation
    if (since < now) emit(readAllEvents(rotatedEventsPath(ctx.paths)));
    emit(follower.read());
    for (;;) {
      if (until !== undefined && Date.now() > until) return 0;
      await new Promise((r) => setTimeout(r, POLL_MS));
      emit(follower.read());
    }
  } finally {
    follower.close();
  }
};
