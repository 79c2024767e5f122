/**
 * Layer unpacking on worker threads, so layers extract in parallel with
 * each other and with the download (decompression, the diff-id hash, tar
 * parsing and the file system calls of extraction are all CPU work on the
 * thread that does them). A pool of workers (unpack_worker.ts) takes
 * `LayerBytes` streams: the blob's bytes are batched and transferred (not
 * copied) to the worker that owns the stream, with a bound on the bytes in
 * flight so a slow disk slows the download instead of filling memory.
 * A failed stream says only that it failed: the caller unpacks that layer
 * again from the stored blob, which reports the real error.
 * Needs what unpacking needs (root) and permission to start workers.
 * @module
 */

import { moduleUrl } from "../module_url.ts";
import { ImageError } from "../errors.ts";
import type { LayerBytes, StreamedLayer } from "./unpack.ts";

/** The worker's module (from the repository root): loaded by URL, so built and bundled on its own. */
export const UNPACK_WORKER = "lib/image/unpack_worker.ts";

/** Messages to a worker. */
export type PoolRequest =
  | { op: "open"; id: number; dir: string; what: string }
  | { op: "write"; id: number; chunks: Uint8Array[] }
  | { op: "end"; id: number }
  | { op: "close"; id: number };

/** Messages from a worker. */
export type PoolReply =
  | { op: "ack"; id: number; bytes: number; entries: number }
  | { op: "done"; id: number; layer: StreamedLayer }
  | { op: "failed"; id: number; message: string }
  | { op: "closed"; id: number };

/** Bytes gathered before one message goes to the worker. */
const BATCH = 512 * 1024;
/** Bytes sent but not yet consumed, per stream, before `write` makes its caller wait. */
const MAX_IN_FLIGHT = 8 * 1024 * 1024;
/** Bytes waiting for one worker beyond which the pool starts another. */
const GROW = 2 * 1024 * 1024;
/** Entries per MiB of (compressed) blob from which a layer counts as many small files. */
const SMALL_ENTRIES = 30;
/** Blob bytes of a stream after which its entries per MiB are judged. */
const JUDGE = 4 * 1024 * 1024;

/**
 * Up to `size` unpack workers. One starts on `start` (or the first `open`);
 * another joins when a worker falls behind (more than `GROW` bytes waiting
 * for it) on layers of many small entries — where the time goes to
 * creating files, which runs in parallel on several threads — and new
 * streams go to the worker with the least waiting. Layers of a few large
 * files extract about as fast as the main thread downloads them, so they
 * do not pay for a second worker's start. `close` when done.
 */
export class UnpackPool {
  #workers: PoolWorker[] = [];
  #ids = 0;
  #closed = false;

  /** A pool of at most `size` workers (at least 1); none runs yet. */
  constructor(private readonly size: number) {}

  /** Start the first worker now (a worker takes tens of ms to load: start it before it is needed). */
  start(): void {
    if (this.#workers.length || this.#closed) return;
    this.#grow();
  }

  /** A stream extracting into `dir` (an existing empty dir) on the least busy worker. */
  open(dir: string, what: string): LayerBytes {
    if (this.#closed) throw new ImageError("the unpack pool is closed");
    this.start();
    // a dead worker only fails its streams (their layers then unpack in-process): skip it
    const live = this.#workers.filter((w) => !w.dead);
    const w = (live.length ? live : this.#workers).reduce((
      a,
      b,
    ) => (b.waiting < a.waiting ? b : a));
    return new WorkerStream(w, ++this.#ids, dir, what);
  }

  #grow(): void {
    if (this.#closed || this.#workers.length >= Math.max(1, this.size)) return;
    this.#workers.push(new PoolWorker(() => this.#grow()));
  }

  /** Stop every worker (streams still open fail). */
  close(): void {
    this.#closed = true;
    for (const w of this.#workers) w.terminate();
  }
}

/** One worker and the streams it serves. */
class PoolWorker {
  readonly streams = new Map<number, WorkerStream>();
  /** Bytes sent to this worker and not yet consumed, over all its streams. */
  waiting = 0;
  readonly #worker: Worker;
  #dead?: string;

  /** @param behind called when this worker has more than `GROW` bytes waiting. */
  constructor(private readonly behind: () => void) {
    this.#worker = new Worker(moduleUrl(UNPACK_WORKER).href, {
      type: "module",
    });
    this.#worker.onmessage = (e: MessageEvent<PoolReply>) =>
      this.streams.get(e.data.id)?.reply(e.data);
    this.#worker.onerror = (e: ErrorEvent) => {
      // a worker that cannot load or crashed: its streams fail, their layers unpack in-process
      e.preventDefault();
      this.#fail(`unpack worker failed: ${e.message}`);
    };
  }

  /** True once the worker failed or was stopped. */
  get dead(): boolean {
    return this.#dead !== undefined;
  }

  post(m: PoolRequest, transfer: Transferable[] = []): void {
    if (this.#dead) throw new ImageError(this.#dead);
    this.#worker.postMessage(m, transfer);
  }

  /** Bytes sent to (positive) or consumed by (negative) this worker. */
  account(bytes: number): void {
    this.waiting += bytes;
  }

  /** A stream of many small entries saw this worker behind: let the pool add one. */
  busy(): void {
    if (this.waiting > GROW) this.behind();
  }

  terminate(): void {
    this.#worker.terminate();
    this.#fail("unpack worker stopped");
  }

  #fail(why: string): void {
    this.#dead ??= why;
    for (const s of [...this.streams.values()]) s.reply({ op: "failed", id: s.id, message: why });
  }
}

/** The main-thread side of one stream on a worker. */
class WorkerStream implements LayerBytes {
  #batch: Uint8Array[] = [];
  #batchBytes = 0;
  #inFlight = 0;
  #consumed = 0;
  #entries = 0;
  #wake?: () => void;
  #failed?: string;
  #result?: { resolve: (l: StreamedLayer) => void; reject: (e: unknown) => void };
  #closed?: () => void;
  #isClosed = false;

  constructor(
    private readonly worker: PoolWorker,
    readonly id: number,
    dir: string,
    private readonly what: string,
  ) {
    worker.streams.set(id, this);
    this.#post({ op: "open", id, dir, what });
  }

  write(chunk: Uint8Array): Promise<void> | undefined {
    this.#check();
    // transfer the chunk's buffer when the chunk is all of it, else copy it out
    const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength &&
        chunk.buffer instanceof ArrayBuffer
      ? chunk
      : chunk.slice();
    this.#batch.push(own);
    this.#batchBytes += own.length;
    if (this.#batchBytes >= BATCH) this.#flush();
    if (this.#inFlight < MAX_IN_FLIGHT) return;
    return new Promise<void>((resolve) => (this.#wake = resolve)).then(() => this.#check());
  }

  end(): Promise<StreamedLayer> {
    this.#check();
    this.#flush();
    return new Promise<StreamedLayer>((resolve, reject) => {
      this.#result = { resolve, reject };
      this.#post({ op: "end", id: this.id });
    });
  }

  /** Stop the stream; resolves once the worker holds nothing of it (its dir may then be removed). */
  close(): Promise<void> {
    if (this.#isClosed) return Promise.resolve();
    this.#isClosed = true;
    if (this.#failed && !this.worker.streams.has(this.id)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#closed = resolve;
      try {
        this.#post({ op: "close", id: this.id });
      } catch (err) {
        // the worker is gone: it holds nothing any more
        if (!(err instanceof ImageError)) throw err;
        this.#finishClose();
      }
    });
  }

  /** A message from the worker about this stream. */
  reply(m: PoolReply): void {
    switch (m.op) {
      case "ack":
        this.#inFlight -= m.bytes;
        this.worker.account(-m.bytes);
        this.#consumed += m.bytes;
        this.#entries += m.entries;
        // entry-bound (many small files) after a few MiB: a second worker would help
        if (this.#consumed >= JUDGE && this.#entries * 2 ** 20 >= SMALL_ENTRIES * this.#consumed) {
          this.worker.busy();
        }
        if (this.#inFlight < MAX_IN_FLIGHT) this.#resume();
        return;
      case "done":
        this.#result?.resolve(m.layer);
        return;
      case "failed":
        this.#failed ??= m.message;
        this.#result?.reject(this.#error());
        this.#resume();
        // a dead worker sends no "closed": nothing of this stream is left on it
        if (m.message.startsWith("unpack worker")) this.#finishClose();
        return;
      case "closed":
        this.#finishClose();
        return;
    }
  }

  #finishClose(): void {
    this.worker.streams.delete(this.id);
    this.#closed?.();
    this.#closed = undefined;
  }

  #resume(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #flush(): void {
    if (!this.#batch.length) return;
    const chunks = this.#batch;
    this.#inFlight += this.#batchBytes;
    this.worker.account(this.#batchBytes);
    this.#batch = [];
    this.#batchBytes = 0;
    this.#post({ op: "write", id: this.id, chunks }, chunks.map((c) => c.buffer as ArrayBuffer));
  }

  #post(m: PoolRequest, transfer: Transferable[] = []): void {
    this.worker.post(m, transfer);
  }

  #check(): void {
    if (this.#failed) throw this.#error();
  }

  #error(): ImageError {
    return new ImageError(`${this.what}: streaming unpack failed: ${this.#failed}`);
  }
}
