/**
 * A TCP proxy for tests that sits in front of a registry and can cut a
 * transfer mid-way, then behave like a registry that went down.
 * @module
 */

/** A TCP proxy in front of a registry that can cut transfers. */
export interface CutProxy {
  host: string;
  port: number;
  /**
   * `pass`: forward; `cut`: forward, but after `cutAfter` bytes to one client
   * close it and switch to `refuse`; `refuse`: close new connections at once
   * and kept-alive ones at their next request (the registry looks down).
   */
  mode: "pass" | "cut" | "refuse";
  /** Bytes (server → client, per connection) after which `cut` mode closes. */
  cutAfter: number;
  /**
   * Drop (never forward) the request whose head matches this, closing its
   * connection, then switch to `refuse` (the registry never sees it).
   */
  dropRequest?: RegExp;
  /** In `refuse` mode: go back to `pass` after refusing this many more connections/requests (0 = never). */
  refuseLeft: number;
  /** Connections cut or requests dropped so far. */
  cuts: number;
  /** Request heads seen (for asserting `Range:` requests). */
  requests: string[];
  stop(): Promise<void>;
}

/** Start a `CutProxy` on a free loopback port forwarding to `127.0.0.1:targetPort`. */
export function startCutProxy(targetPort: number, cutAfter: number): CutProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const proxy: CutProxy = {
    host: `127.0.0.1:${port}`,
    port,
    mode: "pass",
    cutAfter,
    refuseLeft: 0,
    cuts: 0,
    requests: [],
    stop: async () => {
      listener.close();
      for (const c of conns) closeQuietly(c);
      await Promise.allSettled([...tasks]);
    },
  };
  const refused = () => {
    if (proxy.refuseLeft > 0 && --proxy.refuseLeft === 0) proxy.mode = "pass";
  };
  const handle = async (client: Deno.Conn) => {
    if (proxy.mode === "refuse") {
      refused();
      return closeQuietly(client);
    }
    const upstream = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
    conns.add(client);
    conns.add(upstream);
    const dec = new TextDecoder();
    const up = (async () => {
      const buf = new Uint8Array(65536);
      for (;;) {
        const n = await readQuietly(client, buf);
        if (n === null) break;
        // "down": requests on kept-alive connections fail too, not only new connections
        if (proxy.mode === "refuse") {
          refused();
          break;
        }
        const head = dec.decode(buf.subarray(0, n)).split("\r\n\r\n")[0];
        if (proxy.dropRequest?.test(head)) {
          proxy.dropRequest = undefined;
          proxy.cuts++;
          proxy.mode = "refuse";
          break;
        }
        proxy.requests.push(head);
        if (!(await writeAll(upstream, buf.subarray(0, n)))) break;
      }
      closeQuietly(upstream);
      closeQuietly(client);
    })();
    const down = (async () => {
      const buf = new Uint8Array(65536);
      let sent = 0;
      for (;;) {
        const n = await readQuietly(upstream, buf);
        if (n === null) break;
        let chunk = buf.subarray(0, n);
        const cutting = proxy.mode === "cut" && sent + n > proxy.cutAfter;
        if (cutting) chunk = chunk.subarray(0, Math.max(0, proxy.cutAfter - sent));
        if (!(await writeAll(client, chunk))) break;
        sent += chunk.length;
        if (cutting) {
          proxy.cuts++;
          proxy.mode = "refuse";
          break;
        }
      }
      closeQuietly(client);
      closeQuietly(upstream);
    })();
    await Promise.allSettled([up, down]);
    conns.delete(client);
    conns.delete(upstream);
  };
  const accept = (async () => {
    for (;;) {
      let c: Deno.Conn;
      try {
        c = await listener.accept();
      } catch (err) {
        // listener closed by stop()
        if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) {
          return;
        }
        throw err;
      }
      const t = handle(c).catch(() => closeQuietly(c));
      tasks.add(t);
      t.finally(() => tasks.delete(t));
    }
  })();
  tasks.add(accept);
  return proxy;
}

async function readQuietly(c: Deno.Conn, buf: Uint8Array): Promise<number | null> {
  try {
    return await c.read(buf);
  } catch (err) {
    // the other side was closed by us or reset: treat as end of stream
    if (err instanceof Error) return null;
    throw err;
  }
}

async function writeAll(c: Deno.Conn, data: Uint8Array): Promise<boolean> {
  try {
    let off = 0;
    while (off < data.length) off += await c.write(data.subarray(off));
    return true;
  } catch (err) {
    // peer gone
    if (err instanceof Error) return false;
    throw err;
  }
}

function closeQuietly(c: Deno.Conn): void {
  try {
    c.close();
  } catch (err) {
    // already closed
    if (!(err instanceof Deno.errors.BadResource)) throw err;
  }
}
