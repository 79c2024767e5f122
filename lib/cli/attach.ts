/**
 * `tsbox attach [--detach-keys K] [--no-stdin] CONTAINER`: connect this
 * terminal to a detached container's stdio through its monitor's attach
 * socket (lib/container/attach_hub.ts): output as it comes, our input to
 * its stdin (-i), our window size to its tty (-t). The detach keys
 * (docker's ctrl-p ctrl-q) leave it running: "read escape sequence", exit
 * 1 as docker's CLI. When the container ends, its exit code is ours.
 * @module
 */

import { showLogs } from "../container/logs.ts";
import type { LiveState } from "../container/live.ts";
import type { Command } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { ContainerError, UsageError } from "../errors.ts";
import { findContainer } from "../container/lookup.ts";
import { liveView } from "../container/live.ts";
import { waitExit } from "../container/stop.ts";
import { requireTerminal } from "./tty_check.ts";
import {
  attachSocketPath,
  encodeFrame,
  FRAME,
  FrameReader,
  resizeFrame,
} from "../container/attach_proto.ts";
import { DEFAULT_DETACH_KEYS, DetachMatcher, parseDetachKeys } from "../container/detach_keys.ts";
import { writeAll } from "../../ffi/fds.ts";

const USAGE = `Usage: tsbox attach [OPTIONS] CONTAINER

Attach local standard input, output, and error streams to a running (detached) container

Options:
      --detach-keys KEYS   key sequence that detaches (default "ctrl-p,ctrl-q")
      --no-stdin           do not attach STDIN`;

/** Exit code of a detach by the escape sequence (docker's CLI). */
const DETACHED = 1;

/** `tsbox attach`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "detach-keys", type: "string" },
    { name: "no-stdin", type: "bool" },
    { name: "sig-proxy", type: "string" },
    { name: "help", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  if (p.positionals.length !== 1) {
    throw new UsageError(`"attach" requires exactly 1 argument`, { hint: USAGE.split("\n")[0] });
  }
  const keys = parseDetachKeys(str(p, "detach-keys") ?? DEFAULT_DETACH_KEYS);
  const rec = findContainer(ctx.paths, p.positionals[0]);
  if (!liveView(rec).running) {
    throw new ContainerError("You cannot attach to a stopped container, start it first", {
      exitCode: 1,
    });
  }
  const tty = rec.config.process.tty;
  const stdin = !bool(p, "no-stdin") && rec.config.spec.interactive;
  if (stdin && tty) requireTerminal(); // docker: a tty container's stdin cannot be redirected
  if ((rec.state as LiveState).supervisor === "conmon") {
    // under conmon (never with -i or -t: those keep tsbox's monitor) attach is the output alone,
    // from now on, as it reaches conmon's log; then the container's exit code
    await showLogs(ctx.paths, rec.config.id, { follow: true, tail: 0, timestamps: false });
    const ended = await waitExit(ctx.paths, rec.config.id, 10_000);
    return ended?.exitCode ?? 0;
  }
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({
      transport: "unix",
      path: attachSocketPath(ctx.paths, rec.config.id),
    });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.ConnectionRefused)) {
      throw err;
    }
    throw new ContainerError(`container ${rec.config.id.slice(0, 12)} cannot be attached to`, {
      exitCode: 1,
      cause: err,
      hint: "only containers started detached (run -d, start) have an attach socket",
    });
  }
  const detached = await relay(conn, { tty, stdin, keys });
  if (detached) {
    console.error("read escape sequence");
    return DETACHED;
  }
  const view = await waitExit(ctx.paths, rec.config.id, 10_000);
  return view?.exitCode ?? 0;
};

/** Relay until the container ends (false) or the detach keys are typed (true). */
async function relay(
  conn: Deno.UnixConn,
  o: { tty: boolean; stdin: boolean; keys: Uint8Array },
): Promise<boolean> {
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
  const detachTyped = new Promise<true>((r) => (detach = () => r(true)));
  let ended = false;
  const output = (async () => {
    const reader = new FrameReader();
    const buf = new Uint8Array(32 * 1024);
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch (err) {
        if (ended) return false; // we closed it after a detach
        throw err;
      }
      if (n === null) return false;
      for (const f of reader.push(buf.subarray(0, n))) {
        writeAll(f.type === FRAME.STDERR ? 2 : 1, f.payload);
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
