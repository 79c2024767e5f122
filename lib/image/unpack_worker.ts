/**
 * Worker entry of the unpack pool (unpack_pool.ts): extracts layer blob
 * streams into their directories on this thread. Like main.ts it is an
 * entry point, so it makes the real kernel. A stream that fails is closed
 * at once and reports only that it failed (its later bytes are dropped);
 * the pool's caller unpacks that layer again in-process.
 * Needs root and `--allow-ffi`, inherited from the process.
 * @module
 */

/// <reference lib="deno.worker" />

import { LinuxKernel } from "../../ffi/kernel.ts";
import { LayerStream } from "./unpack.ts";
import type { PoolReply, PoolRequest } from "./unpack_pool.ts";

const kernel = new LinuxKernel();
/** Open streams; each one's work is chained so its bytes stay in order. */
const streams = new Map<number, { s?: LayerStream; queue: Promise<void> }>();

function reply(m: PoolReply): void {
  self.postMessage(m);
}

function fail(id: number, err: unknown): void {
  const st = streams.get(id);
  if (st?.s) {
    st.s.close();
    st.s = undefined;
    reply({ op: "failed", id, message: err instanceof Error ? err.message : String(err) });
  }
}

self.onmessage = (e: MessageEvent<PoolRequest>) => {
  const m = e.data;
  if (m.op === "open") {
    const st: { s?: LayerStream; queue: Promise<void> } = { queue: Promise.resolve() };
    streams.set(m.id, st);
    try {
      st.s = new LayerStream(m.dir, kernel, m.what);
    } catch (err) {
      reply({ op: "failed", id: m.id, message: err instanceof Error ? err.message : String(err) });
    }
    return;
  }
  const st = streams.get(m.id);
  if (!st) return;
  st.queue = st.queue.then(() => handle(m, st));
};

async function handle(m: PoolRequest, st: { s?: LayerStream }): Promise<void> {
  try {
    switch (m.op) {
      case "write": {
        let bytes = 0;
        const before = st.s?.entries ?? 0;
        for (const chunk of m.chunks) {
          bytes += chunk.length;
          if (!st.s) continue; // failed: drop the rest
          const more = st.s.write(chunk);
          if (more) await more;
        }
        reply({ op: "ack", id: m.id, bytes, entries: (st.s?.entries ?? before) - before });
        return;
      }
      case "end": {
        if (!st.s) return;
        const layer = await st.s.end();
        st.s.close();
        st.s = undefined;
        reply({ op: "done", id: m.id, layer });
        return;
      }
      case "close":
        st.s?.close();
        st.s = undefined;
        streams.delete(m.id);
        reply({ op: "closed", id: m.id });
        return;
    }
  } catch (err) {
    // corrupt data, an unsafe entry, a kernel error: reported as "failed", redone in-process
    fail(m.id, err);
    if (m.op === "write") {
      reply({
        op: "ack",
        id: m.id,
        bytes: m.chunks.reduce((n, c) => n + c.length, 0),
        entries: 0,
      });
    }
  }
}
