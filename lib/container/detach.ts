/**
 * Detached containers (`run -d`, `start` without -a): the CLI hands the
 * container to a monitor — tsbox re-executed as hidden `__monitor`, with
 * no stdio of ours and its own session — that runs it, logs its output
 * and records its exit. The CLI waits only until the command was exec'd
 * (or failed to start), over a SEQPACKET socket like the init's.
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { ContainerError, TsboxError } from "../errors.ts";
import { closeFd, recvMsg, seqpacketPair, setCloexec } from "../../ffi/fds.ts";

/** Env var carrying the monitor socket's fd number. */
export const MONITOR_FD_ENV = "_TSBOX_MONITOR_FD";

/** Monitor → CLI: one message, then the monitor closes its end. */
export type FromMonitor =
  | { type: "started" }
  | { type: "error"; message: string; code: number };

/**
 * Start container `id` under a new monitor; resolves once its command runs.
 * @throws {TsboxError} the start failed (message and exit code of the failure).
 */
export async function startDetached(ctx: CliContext, id: string): Promise<void> {
  const [parentEnd, childEnd] = seqpacketPair();
  setCloexec(parentEnd);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(ctx.self[0], {
      args: [...ctx.self.slice(1), "--root", ctx.paths.root, "__monitor", id],
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
