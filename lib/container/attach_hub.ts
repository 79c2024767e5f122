/**
 * The monitor's side of `tsbox attach`: a unix socket (attach_proto.ts)
 * that fans the container's output out to every attached client, beside
 * the json log, and hands their input to the container's stdin (the pty
 * master, or the stdin pipe of a `-i` container) and their window size to
 * the pty. A client that cannot keep up is dropped rather than buffered
 * without bound; the log never waits for a client.
 * @module
 */

import type { Paths } from "../paths.ts";
import {
  attachDir,
  attachSocketPath,
  encodeFrame,
  FRAME,
  FrameReader,
  parseResize,
  removeStaleSocket,
} from "./attach_proto.ts";

/** Where client input goes. */
export interface AttachInput {
  write(bytes: Uint8Array): void;
  resize?(rows: number, cols: number): void;
}

/** Bytes queued for one client before it is dropped. */
const MAX_QUEUED = 1 << 20;

interface Client {
  conn: Deno.UnixConn;
  queued: number;
  chain: Promise<void>;
}

/** A listening attach socket. */
export class AttachHub {
  #clients = new Set<Client>();
  #input?: AttachInput;
  #closed = false;
  readonly #listener: Deno.Listener<Deno.UnixConn>;

  private constructor(readonly path: string, listener: Deno.Listener<Deno.UnixConn>) {
    this.#listener = listener;
    this.#accept();
  }

  /**
   * Listen on container `id`'s socket (a stale one of a dead monitor is
   * replaced: the caller holds the container's start claim). Needs root.
   */
  static open(paths: Paths, id: string): AttachHub {
    Deno.mkdirSync(attachDir(paths), { recursive: true, mode: 0o700 });
    Deno.chmodSync(attachDir(paths), 0o700);
    const path = attachSocketPath(paths, id);
    removeStaleSocket(path); // left by a monitor that was killed
    return new AttachHub(path, Deno.listen({ transport: "unix", path }));
  }

  /** Set where client input goes (once the container's stdin exists). */
  setInput(input: AttachInput): void {
    this.#input = input;
  }

  /** Send container output to every client. */
  output(stream: "stdout" | "stderr", bytes: Uint8Array): void {
    if (!this.#clients.size) return;
    const frame = encodeFrame(stream === "stdout" ? FRAME.STDOUT : FRAME.STDERR, bytes);
    for (const c of this.#clients) {
      if (c.queued + frame.length > MAX_QUEUED) {
        this.#drop(c); // too slow: the container and the log must not wait for it
        continue;
      }
      c.queued += frame.length;
      c.chain = c.chain.then(async () => {
        let off = 0;
        while (off < frame.length) off += await c.conn.write(frame.subarray(off));
        c.queued -= frame.length;
      }).catch(() => this.#drop(c)); // the client went away mid-write
    }
  }

  /** Stop listening, let queued output reach the clients, close them, remove the socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#input = undefined;
    this.#listener.close();
    await Promise.race([
      Promise.allSettled([...this.#clients].map((c) => c.chain)),
      new Promise((r) => setTimeout(r, 1000)),
    ]);
    for (const c of [...this.#clients]) this.#drop(c);
    removeStaleSocket(this.path);
  }

  #drop(c: Client): void {
    if (!this.#clients.delete(c)) return;
    try {
      c.conn.close();
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource)) throw err; // closed already
    }
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        const c: Client = { conn, queued: 0, chain: Promise.resolve() };
        this.#clients.add(c);
        this.#serve(c);
      }
    } catch (err) {
      // closed by close() at the container's end; any other failure only ends attaching
      if (!this.#closed) console.error(`tsbox: attach socket failed: ${(err as Error).message}`);
    }
  }

  async #serve(c: Client): Promise<void> {
    const reader = new FrameReader();
    const buf = new Uint8Array(16 * 1024);
    try {
      for (;;) {
        const n = await c.conn.read(buf);
        if (n === null) break;
        for (const f of reader.push(buf.subarray(0, n))) {
          if (f.type === FRAME.STDIN) this.#input?.write(f.payload);
          else if (f.type === FRAME.RESIZE) {
            const { rows, cols } = parseResize(f.payload);
            this.#input?.resize?.(rows, cols);
          }
        }
      }
    } catch (err) {
      // whatever ends the connection (reset, closed by close() or a drop) ends only this
      // client: the monitor must never die of one (this promise is not awaited)
      if (!this.#closed) console.error(`tsbox: attach client dropped: ${(err as Error).message}`);
    } finally {
      this.#drop(c);
    }
  }
}
