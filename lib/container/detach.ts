/**
 * Detached containers (`run -d`, `start` without -a): the CLI hands the
 * container to a supervisor that runs it, logs its output and records its
 * exit, and waits only until the command was exec'd (or failed to start).
 * The supervisor is conmon where it is installed and the container needs
 * nothing only tsbox's monitor does (conmon.ts); else tsbox's own monitor —
 * tsbox re-executed as hidden `__monitor`, with no stdio of ours and its
 * own session — which reports over a SEQPACKET socket like the init's.
 * `TSBOX_MONITOR=deno` or `=conmon` chooses; `--debug` says which and why.
 * `run -it`/`start -ai` start one this way too, attached: the monitor
 * connects to the CLI's socket (`attachTo`) before the container starts.
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { ContainerError, TsboxError } from "../errors.ts";
import { closeFd, recvMsg, seqpacketPair, setCloexec } from "../../ffi/fds.ts";
import { conmonUnfit, findConmon, MONITOR_ENV, startUnderConmon } from "./conmon.ts";
import { readContainer } from "./store.ts";
import { NoSuchContainer } from "./lookup.ts";

/** Env var carrying the monitor socket's fd number. */
export const MONITOR_FD_ENV = "_TSBOX_MONITOR_FD";

/** Monitor → CLI: one message, then the monitor closes its end. */
export type FromMonitor =
  | { type: "started" }
  | { type: "error"; message: string; code: number };

/** How `startDetached` starts it. */
export interface DetachOptions {
  /** A unix socket the CLI listens on: the monitor attaches it before the start (tsbox's monitor only). */
  attachTo?: string;
}

/**
 * Start container `id` under a new monitor; resolves once its command runs.
 * @throws {TsboxError} the start failed (message and exit code of the failure).
 */
export async function startDetached(
  ctx: CliContext,
  id: string,
  opts: DetachOptions = {},
): Promise<void> {
  const rec = readContainer(ctx.paths, id);
  if (!rec) throw new NoSuchContainer(id);
  const unfit = opts.attachTo
    ? "an attached start (run -it, start -ai) is served by tsbox's monitor"
    : conmonUnfit(ctx, rec.config);
  if (!unfit) return await startUnderConmon(ctx, id, findConmon(ctx.env)!);
  if (ctx.env[MONITOR_ENV] === "conmon") {
    throw new ContainerError(`container ${id.slice(0, 12)} cannot run under conmon: ${unfit}`);
  }
  if (ctx.debug) {
    console.error(`tsbox: ${id.slice(0, 12)}: tsbox's monitor supervises it: ${unfit}`);
  }
  await startMonitor(ctx, id, opts.attachTo);
}

/** Start container `id` under a new tsbox monitor (`__monitor`). */
async function startMonitor(ctx: CliContext, id: string, attachTo?: string): Promise<void> {
  const [parentEnd, childEnd] = seqpacketPair();
  setCloexec(parentEnd);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(ctx.self[0], {
      args: [
        ...ctx.self.slice(1),
        "--root",
        ctx.paths.root,
        "__monitor",
        id,
        ...(attachTo ? [attachTo] : []),
      ],
      env: { [MONITOR_FD_ENV]: String(childEnd) },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  } finally {
    closeFd(childEnd);
  }
  child.unref(); // the monitor outlives us; never wait for it
  let data: Uint8Array;
  try {
    data = await recvMsg(parentEnd);
  } finally {
    closeFd(parentEnd);
  }
  if (data.length === 0) {
    throw new ContainerError(
      `the monitor of container ${id.slice(0, 12)} exited before it started`,
    );
  }
  const msg = JSON.parse(new TextDecoder().decode(data)) as FromMonitor;
  if (msg.type === "error") throw new TsboxError(msg.message, { exitCode: msg.code });
}
