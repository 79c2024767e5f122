/**
 * `tsbox top CONTAINER [ps OPTIONS]`.
 * @module
 */

import type { Command } from "./context.ts";
import { UsageError } from "../errors.ts";
import { table } from "../image/format.ts";
import { findContainer } from "../container/lookup.ts";
import { topContainer } from "../container/top.ts";
import { daemonError } from "../container/cli_report.ts";

/** `tsbox top`. */
export const main: Command = async (args, ctx) => {
  if (args[0] === "--help") {
    console.log(
      "Usage: tsbox top CONTAINER [ps OPTIONS]\n\nDisplay the running processes of a container",
    );
    return 0;
  }
  const [ref, ...psArgs] = args;
  if (!ref) throw new UsageError(`"top" requires at least 1 argument`);
  return await daemonError(async () => {
    const r = await topContainer(findContainer(ctx.paths, ref), psArgs.length ? psArgs : ["-ef"]);
    console.log(table([r.titles, ...r.rows]));
    return 0;
  });
};
