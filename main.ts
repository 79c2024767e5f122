/**
 * tsbox — a Docker-like container runtime on Deno.
 *
 * Entry point: parses global flags, dispatches one command, and is the only
 * place that reads `Deno.args` or calls `Deno.exit`. Re-executed as the
 * container init (`__init`) and the detached monitor (`__monitor`).
 * @module
 */

import { COMMANDS, HIDDEN, ROOTLESS } from "./lib/cli/commands.ts";
import type { CliContext } from "./lib/cli/context.ts";
import { commandExitCode, formatError, UsageError } from "./lib/errors.ts";
import { DEFAULT_ROOT } from "./lib/paths.ts";
import { makeContext } from "./lib/context.ts";
import { ROOTLESS_ENV, rootlessRoot } from "./lib/userns/rootless_env.ts";
import { VERSION } from "./lib/version.ts";
import { lazy } from "./lib/lazy.ts";
import { trace } from "./lib/trace.ts";
import { fitsAhead } from "./lib/run_ahead_fit.ts";

function usage(): string {
  const lines = [
    "Usage: tsbox [--root DIR] [--debug] COMMAND [ARGS...]",
    "",
    "A Docker-like container runtime on Deno.",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.help}`),
    "",
    "Global options:",
    "  --root DIR   state directory (default /var/lib/tsbox, or $TSBOX_ROOT)",
    "  --debug      print stack traces and timings",
    "  --version    print the version",
    "",
    "List and inspect commands take --format (table, json, or a Go template such as",
    "'{{.Names}} {{.Label \"k\"}}') and --filter KEY=VALUE; run/create take -l/--label and",
    "--label-file. Exit status: 125 for run/create/start failures and bad flags, 1 otherwise.",
    "",
    "Run 'tsbox COMMAND --help' for more on a command.",
  ];
  return lines.join("\n");
}

/** The command word of `argv` after global flags (`container X` → `X`), for exit codes. */
function verbOf(argv: string[]): string | undefined {
  let i = 0;
  while (i < argv.length && argv[i].startsWith("-")) i += argv[i] === "--root" ? 2 : 1;
  return argv[i] === "container" ? argv[i + 1] : argv[i];
}

async function main(argv: string[]): Promise<number> {
  const env = Deno.env.toObject();
  let root: string | undefined = env.TSBOX_ROOT || undefined;
  let debug = env.TSBOX_DEBUG === "1";
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--root") {
      if (i + 1 >= argv.length) throw new UsageError("flag needs an argument: --root");
      root = argv[++i];
    } else if (a.startsWith("--root=")) root = a.slice(7);
    else if (a === "--debug" || a === "-D") debug = true;
    else if (a === "--version" || a === "-v") {
      console.log(`tsbox version ${VERSION}`);
      return 0;
    } else if (a === "--help" || a === "-h") {
      console.log(usage());
      return 0;
    } else break;
  }
  const name = argv[i];
  const rest = argv.slice(i + 1);
  if (!name) {
    console.log(usage());
    return 0;
  }
  // an ordinary user: tsbox runs rootless, in the user's own user namespace (never a hidden
  // entry: the init behind a user namespace stage is uid 65534 until its maps exist)
  const outside = (Deno.uid() ?? 0) !== 0 && !name.startsWith("__");
  const rootless = outside || env[ROOTLESS_ENV] === "1";
  root ??= outside ? rootlessRoot(env) : DEFAULT_ROOT;
  if (root === "" || !root.startsWith("/")) {
    throw new UsageError(`--root must be an absolute path, got "${root}"`);
  }
  const ctx: CliContext = makeContext(root, { rootless, debug, env });
  if (outside) {
    // again, inside the namespace, with the root made explicit (uid 0 there)
    const again = ["--root", root, ...(debug ? ["--debug"] : []), name, ...rest];
    return await (await ROOTLESS.load()).main(again, ctx);
  }
  const hidden = HIDDEN[name];
  if (hidden) return await (await hidden.load()).main(rest, ctx);
  const cmd = COMMANDS[name];
  if (!cmd) throw new UsageError(`unknown command "${name}"`, { hint: "see 'tsbox --help'" });
  if (name === "run" && !rootless && fitsAhead(rest, env)) {
    // the init's runtime starts while run's modules load (run takes it if its flags fit; a
    // rootless run's stage is its own)
    ctx.early = (await lazy("container/run_ahead.ts")).spawnAhead(ctx);
    trace("ahead");
  }
  return await (await cmd.load()).main(rest, ctx);
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (err) {
    console.error(formatError(err));
    if (Deno.env.get("TSBOX_DEBUG") === "1" || Deno.args.includes("--debug")) console.error(err);
    code = commandExitCode(verbOf(Deno.args), err);
  }
  Deno.exit(code);
}
