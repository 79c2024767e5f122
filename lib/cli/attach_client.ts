/**
 * The client side of a container's attach socket (attach_proto.ts), for
 * `tsbox attach` and for the attached starts `run -it` and `start -ai`:
 * its output to our stdout/stderr, our stdin (raw, on a terminal) to its
 * stdin with the detach keys watched for, our window size to its pty, and
 * the exit code its monitor sends when it ends.
 *
 * An attached start is docker's model: the container runs under its own
 * monitor (as with -d), which joins a socket this CLI listens on before the
 * container starts (so no output is missed); this CLI is only a client. The
 * detach keys leave the container running, supervised, re-attachable.
 * @module
 */

import type { CliContext } from "./context.ts";
import { ContainerError } from "../errors.ts";
import {
  attachDir,
  encodeFrame,
  FRAME,
  FrameReader,
  parseExit,
  removeStaleSocket,
  resizeFrame,
} from "../container/attach_proto.ts";
import { DetachMatcher } from "../container/detach_keys.ts";
import { startDetached } from "../container/detach.ts";
import { killContainer, waitExit } from "../container/stop.ts";
import { readContainer } from "../container/store.ts";
import { restarts } from "../container/restart_policy.ts";
import { join } from "../posix_path.ts";
import { writeAll } from "../../ffi/fds.ts";

/** How a relay ended: the detach keys, or the container's end (and its code, when sent). */
export type RelayEnd = { detached: true } | { detached: false; exitCode?: number };

/** What the relay connects. */
export interface RelayOptions {
  /** The container has a pty: our terminal goes raw, the window size is sent, keys detach. */
  tty: boolean;
  /** Our stdin goes to the container's. */
  stdin: boolean;
  /** The detach sequence (looked for only with a tty). */
  keys: Uint8Array;
}

/** The signals an attached start passes on to the container (as the foreground run does). */
const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];

/** Relay `conn` ↔ our stdio until the container ends or the detach keys are typed. */
export async function relayAttach(conn: Deno.UnixConn, o: RelayOptions): Promise<RelayEnd> {
  const raw = o.stdin && o.tty && Deno.stdin.isTerminal();
  if (raw) Deno.stdin.setRaw(true);
  const send = async (frame: Uint8Array) => {
    let off = 0;
    while (off < frame.length) off += await conn.write(frame.subarray(off));
  };
  const resize = () => {
    if (!o.tty || !Deno.stdout.isTerminal()) return;
    const { rows, columns } = Deno.consoleSize();
    send(resizeFrame(rows, columns)).catch(() => {
      // the connection is closing: the output side reports the end
    });
  };
  resize();
  Deno.addSignalListener("SIGWINCH", resize);
  let detach!: () => void;
  const detachTyped = new Promise<RelayEnd>((r) => (detach = () => r({ detached: true })));
  let ended = false;
  const output = (async (): Promise<RelayEnd> => {
    const reader = new FrameReader();
    const buf = new Uint8Array(32 * 1024);
    let exitCode: number | undefined;
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch (err) {
        if (ended) return { detached: false, exitCode }; // we closed it after a detach
        // the monitor closed its end with our input (a resize) unread: all it sent was read first
        if (err instanceof Deno.errors.ConnectionReset) return { detached: false, exitCode };
        throw err;
      }
      if (n === null) return { detached: false, exitCode };
      for (const f of reader.push(buf.subarray(0, n))) {
        if (f.type === FRAME.EXIT) exitCode = parseExit(f.payload);
        else writeAll(f.type === FRAME.STDERR ? 2 : 1, f.payload);
      }
    }
  })();
  if (o.stdin) {
    const matcher = new DetachMatcher(o.tty ? o.keys : new Uint8Array());
    (async () => {
      const buf = new Uint8Array(4096);
      for (;;) {
        const n = await Deno.stdin.read(buf);
        if (n === null || ended) return;
        const { forward, detach: typed } = matcher.scan(buf.subarray(0, n));
        if (forward.length) await send(encodeFrame(FRAME.STDIN, forward));
        if (typed) return detach();
      }
    })().catch(() => {
      // the container side closed while we were sending: the output side reports the end
    });
  }
  try {
    return await Promise.race([output, detachTyped]);
  } finally {
    ended = true;
    Deno.removeSignalListener("SIGWINCH", resize);
    if (raw) Deno.stdin.setRaw(false);
    conn.close();
  }
}

/** Where the CLI of an attached start listens for its container's monitor. */
function clientSocketPath(ctx: CliContext, id: string): string {
  return join(attachDir(ctx.paths), `${id.slice(0, 12)}-${Deno.pid}.cli.sock`);
}

/** Wait (bounded) until container `id`'s record is gone: `--rm` ends with it, as docker's run waits. */
async function waitRemoved(ctx: CliContext, id: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (readContainer(ctx.paths, id) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Start container `id` under its monitor with this CLI attached (`run -it`,
 * `start -ai`). Returns 0 after the detach keys (docker's "read escape
 * sequence" on stderr; the container runs on), else the container's exit
 * code once it ended (and, with `autoRemove`, was removed).
 * @throws {TsboxError} the start failed (its message and exit code).
 */
export async function startAttached(
  ctx: CliContext,
  id: string,
  o: RelayOptions & { autoRemove: boolean },
): Promise<number> {
  const path = clientSocketPath(ctx, id);
  Deno.mkdirSync(attachDir(ctx.paths), { recursive: true, mode: 0o700 });
  removeStaleSocket(path); // a pid's leftover from a CLI that was killed
  const listener = Deno.listen({ transport: "unix", path });
  let conn: Deno.UnixConn | undefined;
  const accepted = listener.accept().then((c) => (conn = c), (err) => {
    // closed below after a failed start: nobody is coming
    if (!(err instanceof Deno.errors.BadResource)) throw err;
  });
  try {
    await startDetached(ctx, id, { attachTo: path });
    // the monitor connected before it started the container: its connection is queued already
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([accepted, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
  } finally {
    listener.close();
    removeStaleSocket(path);
  }
  if (!conn) {
    throw new ContainerError(
      `container ${id.slice(0, 12)} started, but its monitor did not attach`,
      {
        hint: "it runs detached: tsbox attach or tsbox logs reach it",
      },
    );
  }
  const forwarders = FORWARDED.map((sig) => {
    const h = () => forwardSignal(ctx, id, sig);
    Deno.addSignalListener(sig, h);
    return [sig, h] as const;
  });
  try {
    const end = await relayAttach(conn, o);
    if (end.detached) {
      console.error("read escape sequence");
      return 0;
    }
    if (o.autoRemove) {
      await waitRemoved(ctx, id, 30_000);
      if (end.exitCode !== undefined) return end.exitCode;
    }
    // a restart policy's monitor starts it again: the first run's code is the answer
    const policy = readContainer(ctx.paths, id)?.config.restartPolicy;
    if (end.exitCode !== undefined && restarts(policy)) return end.exitCode;
    const view = await waitExit(ctx.paths, id, 10_000);
    return end.exitCode ?? view?.exitCode ?? 0;
  } finally {
    for (const [sig, h] of forwarders) Deno.removeSignalListener(sig, h);
  }
}

/** Pass `sig` on to the container's PID 1 (nothing when it has ended meanwhile). */
function forwardSignal(ctx: CliContext, id: string, sig: Deno.Signal): void {
  const rec = readContainer(ctx.paths, id);
  if (!rec) return;
  try {
    killContainer(rec, id, sig);
  } catch (err) {
    // it is not running (any more): the relay sees its end
    if (!(err instanceof ContainerError)) throw err;
  }
}
