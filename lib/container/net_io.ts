/**
 * Network traffic of a container for `stats` (docker's NET I/O): the byte
 * counters of every interface but `lo` in its PID 1's network namespace,
 * read from /proc/PID/net/dev. Reads only.
 * @module
 */

/** Received and transmitted bytes. */
export interface NetCounters {
  rx: number;
  tx: number;
}

/** Sum the non-loopback interfaces of a /proc/net/dev text. Pure. */
export function parseNetDev(text: string): NetCounters {
  let rx = 0;
  let tx = 0;
  for (const line of text.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    if (line.slice(0, colon).trim() === "lo") continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    rx += f[0] || 0;
    tx += f[8] || 0;
  }
  return { rx, tx };
}

/** Counters in the network namespace of `pid`; undefined when it is gone. */
export function netCounters(pid: number): NetCounters | undefined {
  try {
    return parseNetDev(Deno.readTextFileSync(`/proc/${pid}/net/dev`));
  } catch (err) {
    // the process exited between listing and reading: no sample
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}
