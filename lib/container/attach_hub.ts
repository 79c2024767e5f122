/**
 * The monitor's side of `tsbox attach`: a unix socket (attach_proto.ts)
 * that fans the container's output out to every attached client, beside
 * the json log, and hands their input to the container's stdin (the pty
 * master, or the stdin pipe of a `-i` container) and their window size to
 * the pty. A client that cannot keep up is dropped rather than buffered
 * without bound; the log never waits for a client — except the one the
 * monitor connected to itself (`run -it`, `start -ai`: the CLI that
 * started it), which is never dropped: its slowness holds the container's
 * output back, as a foreground terminal does. Input and the window size
 * that arrive before the container's stdin exists are kept for it.
 * @module
 */

import type { Paths } from "../paths.ts";
import {
  attachDir,
  attachSocketPath,
  encodeFrame,
  exitFrame,
  FRAME,
  FrameReader,
  parseResize,
  removeStaleSocket,
} from "./attach_proto.ts";
import { SyscallError } from "../errors.ts";

/** Where client input goes. */
export interface AttachInput {
  write(bytes: Uint8Array): void;
  resize?(rows: number, cols: number): void;
}

/** Bytes queued for one client before it is dropped. */
const MAX_QUEUED = 1 << 20;
/** Bytes queued for the starting CLI before the output waits for it. */
const PRIMARY_QUEUED = 256 * 1024;
/** Input kept until the container's stdin exists. */
const MAX_EARLY_INPUT = 64 * 1024;

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
  #primary?: Client;
  #early: Uint8Array[] = [];
  #earlyLen = 0;
  #inputEnded = false;
  #size?: { rows: number; cols: number };
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

  /**
   * Connect to the socket a starting CLI listens on (`--attach-to`) and
   * serve it as the first client, before the container has any output.
   * A CLI that is gone already leaves the container running unattached.
   */
  async connectTo(path: string): Promise<void> {
    let conn: Deno.UnixConn;
    try {
      conn = await Deno.connect({ transport: "unix", path });
    } catch (err) {
      // the CLI was killed before we got here: the container runs on, detached
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.ConnectionRefused) {
        return;
      }
      throw err;
    }
    const c: Client = { conn, queued: 0, chain: Promise.resolve() };
    this.#clients.add(c);
    this.#primary = c;
    this.#serve(c);
  }

  /**
   * The container's stdin is gone (its pty is about to be closed): client
   * input is dropped from now on, and never reaches a closed (or reused) fd.
   */
  endInput(): void {
    this.#input = undefined;
    this.#inputEnded = true;
    this.#early = [];
    this.#earlyLen = 0;
  }

  /** Bytes of client input kept until the container's stdin exists. */
  get keptInput(): number {
    return this.#earlyLen;
  }

  /** Set where client input goes (once the container's stdin exists); hands on what came early. */
  setInput(input: AttachInput): void {
    if (this.#inputEnded) return;
    this.#input = input;
    if (this.#size) input.resize?.(this.#size.rows, this.#size.cols);
    for (const b of this.#early) input.write(b);
    this.#early = [];
    this.#earlyLen = 0;
  }

  /**
   * Send container output to every client; the promise (only while the
   * starting CLI is behind) resolves once it has caught up.
   */
  output(stream: "stdout" | "stderr", bytes: Uint8Array): Promise<void> | void {
    if (!this.#clients.size) return;
    const frame = encodeFrame(stream === "stdout" ? FRAME.STDOUT : FRAME.STDERR, bytes);
    for (const c of this.#clients) this.#send(c, frame);
    const p = this.#primary;
    if (p && this.#clients.has(p) && p.queued > PRIMARY_QUEUED) return p.chain;
  }

  /**
   * Stop listening, send `code` (the container's exit code, when it ran) to
   * the clients after their queued output, close them, remove the socket.
   */
  async close(code?: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#input = undefined;
    this.#listener.close();
    if (code !== undefined) { for (const c of this.#clients) this.#send(c, exitFrame(code)); }
    const wait = (cs: Client[], ms: number) =>
      Promise.race([
        Promise.allSettled(cs.map((c) => c.chain)),
        new Promise((r) => setTimeout(r, ms)),
      ]);
    const primary = this.#primary;
    await Promise.all([
      wait([...this.#clients].filter((c) => c !== primary), 1000),
      // the starting CLI's terminal may be slow: it gets longer to take the last output
      wait(primary && this.#clients.has(primary) ? [primary] : [], 10_000),
    ]);
    for (const c of [...this.#clients]) this.#drop(c);
    removeStaleSocket(this.path);
  }

  /** Queue `frame` for `c`; an ordinary client too far behind is dropped. */
  #send(c: Client, frame: Uint8Array): void {
    if (c !== this.#primary && c.queued + frame.length > MAX_QUEUED) {
      this.#drop(c); // too slow: the container and the log must not wait for it
      return;
    }
    c.queued += frame.length;
    c.chain = c.chain.then(async () => {
      let off = 0;
      while (off < frame.length) off += await c.conn.write(frame.subarray(off));
      c.queued -= frame.length;
    }).catch(() => this.#drop(c)); // the client went away mid-write
  }

  /** Client input: to the container's stdin, or kept until it exists. */
  #stdin(bytes: Uint8Array): void {
    if (this.#input) return this.#toInput(() => this.#input?.write(bytes));
    if (this.#inputEnded || this.#closed) return;
    if (this.#earlyLen + bytes.length > MAX_EARLY_INPUT) return;
    this.#early.push(bytes);
    this.#earlyLen += bytes.length;
  }

  /** Hand something to the input; its failure ends the input, never the client. */
  #toInput(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      // EIO/EBADF: the container's side is gone; the client still gets the output and the exit code
      if (!(err instanceof SyscallError)) throw err;
      this.endInput();
    }
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
          if (f.type === FRAME.STDIN) this.#stdin(f.payload);
          else if (f.type === FRAME.RESIZE) {
            const { rows, cols } = parseResize(f.payload);
            this.#size = { rows, cols };
            this.#toInput(() => this.#input?.resize?.(rows, cols));
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
