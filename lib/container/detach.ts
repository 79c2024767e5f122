/**
 * `run -d`: start the container under a monitor process that outlives the CLI.
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { TsboxError } from "../errors.ts";

/** Start container `id` detached. */
export function startDetached(_ctx: CliContext, _id: string): Promise<void> {
  return Promise.reject(new TsboxError("detached mode (-d) is not implemented yet"));
}
