/**
 * The one way a tsbox process builds its CliContext: main.ts for every
 * command, and a hidden entry started as its own main module
 * (lib/init/direct.ts).
 * @module
 */

import type { CliContext } from "./cli/context.ts";
import { pathsFor } from "./paths.ts";
import { LinuxKernel } from "../ffi/kernel.ts";
import { selfCommand } from "./self.ts";

/** A context for state root `root` (absolute), with the environment the caller read once. */
export function makeContext(
  root: string,
  opts: { rootless: boolean; debug: boolean; env: Record<string, string> },
): CliContext {
  let self: string[] | undefined;
  return {
    paths: pathsFor(root),
    rootless: opts.rootless,
    kernel: new LinuxKernel(),
    debug: opts.debug,
    // looked up when first used: the container init never re-executes tsbox
    get self() {
      return self ??= selfCommand(opts.env.PATH);
    },
    env: opts.env,
  };
}
