/**
 * A hidden entry started as its own main module (lib/self.ts
 * `entryCommand`): `deno run … lib/init/main.js [--root R] __init`. The
 * process then loads that entry's modules only, not main.ts with its
 * command table and lazy loader first. The arguments keep main.ts's shape,
 * so `ps` and TSBOX_TRACE show the same process either way.
 * @module
 */

import type { Command } from "../cli/context.ts";
import { makeContext } from "../context.ts";
import { exitCodeOf, formatError, UsageError } from "../errors.ts";
import { DEFAULT_ROOT } from "../paths.ts";
import { ROOTLESS_ENV } from "../userns/rootless_env.ts";

/** Run hidden entry `name` from this process's arguments, then exit with its code. */
export async function runDirectly(name: string, command: Command): Promise<never> {
  // One turn of the event loop first: Deno stores a main module's code cache there, and an
  // init that execs (or a helper that waits) without one would compile its module again in
  // every container start. A stat of the root costs ~0.05 ms.
  await Deno.lstat("/");
  const args = Deno.args;
  const env = Deno.env.toObject();
  let code: number;
  try {
    const at = args[0] === "--root" ? 2 : 0;
    const root = at ? args[1] : env.TSBOX_ROOT || DEFAULT_ROOT;
    if (args[at] !== name || !root?.startsWith("/")) {
      throw new UsageError(`${name} is internal to tsbox`);
    }
    const ctx = makeContext(root, {
      rootless: env[ROOTLESS_ENV] === "1",
      debug: env.TSBOX_DEBUG === "1",
      env,
    });
    code = await command(args.slice(at + 1), ctx);
  } catch (err) {
    console.error(formatError(err));
    code = exitCodeOf(err);
  }
  Deno.exit(code);
}
