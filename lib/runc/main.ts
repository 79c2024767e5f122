/**
 * `tsbox-runc`: the runc-compatible command line containerd, dockerd and
 * podman drive (tests/oci/CALLERS.md has the calls they make). Global flags
 * come before the verb, as `--flag v` or `--flag=v`; errors go to stderr
 * and, with `--log`, as a JSON line the callers read.
 * @module
 */

import type { Command } from "../cli/context.ts";
import { formatError, TsboxError, UsageError } from "../errors.ts";
import { pathsFor } from "../paths.ts";
import { logLine, type RuncCommand, type RuncContext } from "./context.ts";
import { DEFAULT_RUNC_ROOT, RuntimeStore } from "./store.ts";
import { OCI_VERSION } from "../oci/spec.ts";

/** tsbox-runc's version line (callers only print it). */
export const RUNC_VERSION = "tsbox-runc version 0.2.0";

const VERBS: Record<string, () => Promise<RuncCommand>> = {
  create: async () => (await import("./verbs.ts")).create,
  start: async () => (await import("./verbs.ts")).start,
  state: async () => (await import("./verbs.ts")).state,
  kill: async () => (await import("./verbs.ts")).kill,
  delete: async () => (await import("./verbs.ts")).del,
  run: async () => (await import("./verbs.ts")).run,
  list: async () => (await import("./verbs.ts")).list,
  ps: async () => (await import("./verbs.ts")).ps,
  features: async () => (await import("./verbs.ts")).features,
  exec: async () => (await import("./exec.ts")).exec,
  pause: async () => (await import("./pause.ts")).pause,
  resume: async () => (await import("./pause.ts")).resume,
  update: async () => (await import("./update.ts")).update,
};

const USAGE = `Usage: tsbox-runc [global options] COMMAND [options] ID

An OCI runtime with runc's command line.

Commands: ${Object.keys(VERBS).join(", ")}

Global options:
  --root DIR            state directory (default ${DEFAULT_RUNC_ROOT})
  --log FILE            append errors here
  --log-format FORMAT   text (default) or json
  --systemd-cgroup      not supported (refused)
  --debug               stack traces
  -v, --version`;

function globalFlags(argv: string[]) {
  const g = {
    root: DEFAULT_RUNC_ROOT,
    log: undefined as string | undefined,
    format: "text",
    debug: false,
  };
  let i = 0;
  const value = (name: string) => {
    const a = argv[i];
    if (a.includes("=")) return a.slice(a.indexOf("=") + 1);
    if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: ${name}`);
    return argv[++i];
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-")) break;
    const name = a.split("=")[0];
    if (name === "--root") g.root = value(name);
    else if (name === "--log") g.log = value(name);
    else if (name === "--log-format") g.format = value(name);
    else if (name === "--criu" || name === "--rootless") value(name);
    else if (name === "--debug") g.debug = true;
    else if (name === "--systemd-cgroup") {
      throw new TsboxError("--systemd-cgroup is not supported: tsbox-runc drives cgroupfs", {
        exitCode: 1,
      });
    } else if (name === "-v" || name === "--version") return { ...g, version: true, rest: [] };
    else if (name === "-h" || name === "--help") return { ...g, help: true, rest: [] };
    else throw new UsageError(`flag provided but not defined: ${a}`);
  }
  if (g.format !== "text" && g.format !== "json") {
    throw new UsageError(`invalid log-format: ${g.format}`);
  }
  return { ...g, rest: argv.slice(i) };
}

/** Hidden `__runc` entry (the `tsbox-runc` wrapper calls it). */
export const main: Command = async (argv, cli) => {
  let ctx: RuncContext | undefined;
  try {
    const g = globalFlags(argv);
    if ("version" in g) {
      console.log(`${RUNC_VERSION}\nspec: ${OCI_VERSION}`);
      return 0;
    }
    const [verb, ...rest] = g.rest;
    if ("help" in g || !verb) {
      console.log(USAGE);
      return 0;
    }
    ctx = {
      store: new RuntimeStore(g.root),
      paths: pathsFor(g.root),
      kernel: cli.kernel,
      get self() {
        return cli.self; // read when first used (the CLI's is looked up then)
      },
      log: g.log ? { file: g.log, format: g.format as "json" | "text" } : undefined,
      debug: g.debug || cli.debug,
    };
    const load = VERBS[verb];
    if (!load) throw new UsageError(`No help topic for '${verb}'`);
    return await (await load())(rest, ctx);
  } catch (err) {
    const msg = formatError(err).replace(/^tsbox: /, "");
    if (ctx) logLine(ctx, "error", msg);
    console.error(`tsbox-runc: ${msg}`);
    if (ctx?.debug) console.error(err);
    return 1;
  }
};
