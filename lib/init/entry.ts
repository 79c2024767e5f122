/**
 * The shape shared by the hidden entries that run in a container's
 * namespaces (`__init`, `__exec`): find the channel fd from the env, run,
 * and turn any failure into an `error` message to the waiting tsbox (or
 * stderr, if it is gone) plus the exit code.
 * @module
 */

import type { Command } from "../cli/context.ts";
import type { Kernel } from "../kernel.ts";
import { exitCodeOf, formatError, TsboxError } from "../errors.ts";
import { sendMsg, setCloexec } from "../../ffi/fds.ts";

/**
 * Build a hidden entry. `run` normally never returns (it execs) or returns an exit code.
 * @param render how the error travels to the parent (its own wording rules).
 */
export function hiddenEntry(
  name: string,
  fdEnv: string,
  run: (kernel: Kernel, fd: number) => number | Promise<number>,
  render: (err: unknown) => string = formatError,
): Command {
  return async (_args, ctx) => {
    const fd = Number(Deno.env.get(fdEnv));
    if (!Number.isInteger(fd) || fd < 3) {
      throw new TsboxError(`${name} is internal to tsbox`);
    }
    setCloexec(fd);
    try {
      return await run(ctx.kernel, fd);
    } catch (err) {
      const code = exitCodeOf(err);
      try {
        sendMsg(
          fd,
          new TextEncoder().encode(JSON.stringify({ type: "error", message: render(err), code })),
        );
      } catch (sendErr) {
        // the waiting tsbox is gone; stderr is all that is left
        console.error(formatError(err), formatError(sendErr));
      }
      return code;
    }
  };
}
