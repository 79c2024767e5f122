/**
 * The event log of a state root (`<root>/events.log`), docker's events
 * without a daemon: every state change of a container (create, start, die,
 * stop, kill, destroy, rename, pause, unpause, health_status, oom, restart,
 * update), a network (create, destroy, connect, disconnect, prune) or a
 * volume (create, destroy, mount, unmount, prune) appends one JSON line. Each line is one write(2) with O_APPEND, which
 * the kernel makes atomic for a regular file, so concurrent tsbox
 * processes never interleave; the log is rotated once past 4 MiB (one
 * previous file kept) under `locks/events.lock`. `tsbox events` reads
 * and follows it (lib/cli/events.ts).
 * @module
 */

import { join } from "../posix_path.ts";
import type { Paths } from "../paths.ts";
import { withLockSync } from "../fsutil.ts";
import type { ContainerConfig } from "./store.ts";
import type { PreparedMount } from "../../volumes/types.ts";

/** The kinds of object tsbox logs events of (docker's `events.Type`). */
export type EventType = "container" | "network" | "volume";

/** One event as stored (docker's `events.Message` fields; older lines are all containers'). */
export interface EventRecord {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: "local";
  /** Unix seconds. */
  time: number;
  /** Unix nanoseconds, as a decimal string (beyond a double's precision). */
  timeNano: string;
}

/** Past this size the log is rotated. */
export const EVENTS_MAX_BYTES = 4 * 1024 * 1024;

/** The current log file. */
export function eventsPath(paths: Paths): string {
  return join(paths.root, "events.log");
}

/** The rotated (previous) log file. */
export function rotatedEventsPath(paths: Paths): string {
  return `${eventsPath(paths)}.1`;
}

let lastNano = 0n;

/** Wall-clock nanoseconds, strictly increasing within this process. */
function nowNano(): bigint {
  const ms = BigInt(Date.now());
  const sub = BigInt(Math.floor((performance.now() % 1) * 1e6));
  let n = ms * 1_000_000n + sub;
  if (n <= lastNano) n = lastNano + 1n;
  lastNano = n;
  return n;
}

/** docker's attributes of a container event: its labels, image and name, then `extra`. */
export function eventAttributes(
  c: Pick<ContainerConfig, "name" | "labels" | "spec">,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { ...(c.labels ?? {}), image: c.spec.image, name: c.name, ...extra };
}

/** The event record of `type` for `action` on actor `id` now. Pure apart from the clock. */
function eventNow(
  type: EventType,
  action: string,
  id: string,
  attributes: Record<string, string>,
): EventRecord {
  const nano = nowNano();
  return {
    Type: type,
    Action: action,
    Actor: { ID: id, Attributes: attributes },
    scope: "local",
    time: Number(nano / 1_000_000_000n),
    timeNano: nano.toString(),
  };
}

/** The event record for `action` on `c` now. Pure apart from the clock. */
export function containerEvent(
  action: string,
  c: Pick<ContainerConfig, "id" | "name" | "labels" | "spec">,
  extra: Record<string, string> = {},
): EventRecord {
  return eventNow("container", action, c.id, eventAttributes(c, extra));
}

/** What a network event names: the network's id, name and driver. */
export interface NetworkActor {
  id: string;
  name: string;
  driver: string;
}

/**
 * docker's network event (`LogNetworkEventWithAttributes`): Actor.ID is the
 * network id, the attributes `extra` (a connect's `container`) plus `name`
 * and `type` (the driver). A `prune` has no actor: `net` undefined, ID "".
 */
export function networkEvent(
  action: string,
  net: NetworkActor | undefined,
  extra: Record<string, string> = {},
): EventRecord {
  const attrs = net ? { ...extra, name: net.name, type: net.driver } : extra;
  return eventNow("network", action, net?.id ?? "", attrs);
}

/**
 * docker's volume event (`LogVolumeEvent`): Actor.ID is the volume name,
 * the attributes `{driver: "local"}` plus `extra` (a mount's container,
 * destination, propagation, read/write). A `prune` has no actor: name "".
 */
export function volumeEvent(
  action: string,
  name: string,
  extra: Record<string, string> = {},
): EventRecord {
  return eventNow("volume", action, name, name ? { driver: "local", ...extra } : extra);
}

/** Append one record (one write, O_APPEND); rotate past `maxBytes`. */
export function appendEvent(paths: Paths, ev: EventRecord, maxBytes = EVENTS_MAX_BYTES): void {
  const file = eventsPath(paths);
  const line = new TextEncoder().encode(JSON.stringify(ev) + "\n");
  const f = Deno.openSync(file, { append: true, create: true, mode: 0o600 });
  let size: number;
  try {
    let off = 0;
    while (off < line.length) off += f.writeSync(line.subarray(off));
    size = f.statSync().size;
  } finally {
    f.close();
  }
  if (size > maxBytes) rotate(paths, maxBytes);
}

function rotate(paths: Paths, maxBytes: number): void {
  Deno.mkdirSync(paths.locks, { recursive: true });
  withLockSync(join(paths.locks, "events.lock"), () => {
    const file = eventsPath(paths);
    // another writer may have rotated while we waited for the lock
    if (Deno.statSync(file).size <= maxBytes) return;
    Deno.renameSync(file, rotatedEventsPath(paths));
  });
}

/**
 * Append `ev` to the log. An event that cannot be written (full disk,
 * read-only root) is reported on stderr and never fails the state change
 * it describes.
 */
export function logEvent(paths: Paths, ev: EventRecord): void {
  try {
    appendEvent(paths, ev);
  } catch (err) {
    // the state change happened: losing its event must not undo or fail it
    const what = ev.Type === "container" ? ev.Action : `${ev.Type} ${ev.Action}`;
    console.error(`tsbox: warning: event ${what} not logged: ${(err as Error).message}`);
  }
}

/** Record `action` on container `c` (as `logEvent`: never fails). */
export function recordEvent(
  paths: Paths,
  action: string,
  c: Pick<ContainerConfig, "id" | "name" | "labels" | "spec">,
  extra: Record<string, string> = {},
): void {
  logEvent(paths, containerEvent(action, c, extra));
}

/**
 * docker's `mount` (at start) or `unmount` (at exit) event of every volume
 * among `c`'s prepared mounts; binds and tmpfs have none. Never fails.
 */
export function recordVolumeMounts(
  paths: Paths,
  action: "mount" | "unmount",
  c: Pick<ContainerConfig, "id" | "mounts">,
): void {
  for (const m of (c.mounts ?? []) as (PreparedMount | null)[]) {
    if (typeof m?.volume?.name !== "string") continue; // a bind or tmpfs
    const extra: Record<string, string> = action === "mount"
      ? {
        container: c.id,
        destination: m.target,
        // docker sets no propagation on a volume mount (only binds default to rprivate)
        propagation: m.propagation === "rprivate" ? "" : m.propagation,
        "read/write": String(!m.readOnly),
      }
      : { container: c.id };
    logEvent(paths, volumeEvent(action, m.volume.name, extra));
  }
}

/** Parse the complete lines of `text`; a torn or foreign line is skipped. */
export function parseEventLines(text: string): EventRecord[] {
  const out: EventRecord[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      const ev = JSON.parse(line) as EventRecord;
      if (ev && typeof ev.Action === "string" && typeof ev.timeNano === "string") out.push(ev);
    } catch (err) {
      // a line cut by a crash mid-write (or a full disk): the others are still good
      if (!(err instanceof SyntaxError)) throw err;
    }
  }
  return out;
}
