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
import { attachSocketPath } from "../container/attach_proto.ts";
import { daemonDetachKeys } from "../container/detach_keys.ts";
import { relayAttach } from "./attach_client.ts";

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
  return await attach(ctx, p.positionals[0], {
    keys: str(p, "detach-keys"),
    noStdin: bool(p, "no-stdin"),
  });
};

/** Attach to container `ref` until it ends (its exit code) or is detached from (1). */
async function attach(
  ctx: Parameters<Command>[1],
  ref: string,
  o: { keys?: string; noStdin: boolean },
): Promise<number> {
  const keys = daemonDetachKeys(o.keys);
  const rec = findContainer(ctx.paths, ref);
  if (!liveView(rec).running) {
    throw new ContainerError("You cannot attach to a stopped container, start it first", {
      exitCode: 1,
    });
  }
  const tty = rec.config.process.tty;
  const stdin = !o.noStdin && rec.config.spec.interactive;
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
  const end = await relayAttach(conn, { tty, stdin, keys });
  if (end.detached) {
    console.error("read escape sequence");
    return DETACHED;
  }
  const view = await waitExit(ctx.paths, rec.config.id, 10_000);
  return end.exitCode ?? view?.exitCode ?? 0;
}
