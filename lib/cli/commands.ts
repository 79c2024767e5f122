/**
 * The command table: name → module. Modules are imported lazily so a
 * command only loads what it uses (start-up time matters for `run`, and
 * for the hidden entries tsbox re-executes itself as). Each module exports
 * `main: Command`.
 *
 * The modules are loaded by a computed specifier (lib/module_url.ts) on
 * purpose: Deno reads and parses every module a string-literal
 * `import("./x.ts")` names, transitively, when the program starts, called
 * or not — so with literals `tsbox __init` read the whole CLI, registry,
 * network and build code (~315 modules) to run ~50. `deno compile` does not
 * follow these either: tools/build.ts passes every module of this table
 * with `--include` (`commandModules()`, through tools/includes.ts, with
 * lib/lazy.ts's modules); tools/bundle.ts bundles each of them.
 * @module
 */

import type { Command } from "./context.ts";
import { loadModule, moduleUrl } from "../module_url.ts";

/** What a command module exports. */
export interface CommandModule {
  main: Command;
}

type Loader = () => Promise<CommandModule>;

/** One table row: the module (from the repository root), its loader and help line. */
export interface CommandEntry {
  module: string;
  load: Loader;
  help: string;
}

function entry(module: string, help = ""): CommandEntry {
  const load = () => loadModule<CommandModule>(module);
  return { module, load, help };
}

/** Public commands, in help order, with one-line descriptions. */
export const COMMANDS: Record<string, CommandEntry> = {
  run: entry("lib/cli/run.ts", "Create and run a container"),
  create: entry("lib/cli/create.ts", "Create a container without starting it"),
  start: entry("lib/cli/start.ts", "Start a stopped container"),
  ps: entry("lib/cli/ps.ts", "List containers"),
  logs: entry("lib/cli/logs.ts", "Show a container's logs"),
  exec: entry("lib/cli/exec.ts", "Run a command in a running container"),
  attach: entry("lib/cli/attach.ts", "Attach to a detached container's stdio"),
  stop: entry("lib/cli/stop.ts", "Stop running containers"),
  kill: entry("lib/cli/kill.ts", "Send a signal to running containers"),
  restart: entry("lib/cli/restart.ts", "Restart containers (stop, then start)"),
  pause: entry("lib/cli/pause.ts", "Pause all processes of containers"),
  update: entry("lib/cli/update.ts", "Update limits and restart policy"),
  unpause: entry("lib/cli/unpause.ts", "Unpause paused containers"),
  rm: entry("lib/cli/rm.ts", "Remove containers"),
  inspect: entry("lib/cli/inspect.ts", "Show low-level information as JSON"),
  wait: entry("lib/cli/wait.ts", "Wait for containers to exit"),
  top: entry("lib/cli/top.ts", "Show the processes of a container"),
  rename: entry("lib/cli/rename.ts", "Rename a container"),
  container: entry("lib/cli/container.ts", "Manage containers (ls, prune, …)"),
  stats: entry("lib/cli/stats.ts", "Show resource usage of containers"),
  events: entry("lib/cli/events.ts", "Get real time events (the root's event log)"),
  commit: entry("lib/cli/commit.ts", "Create a new image from a container's changes"),
  build: entry("lib/cli/build.ts", "Build an image from a Dockerfile"),
  builder: entry("lib/cli/builder.ts", "Manage builds (prune the build cache)"),
  cp: entry("lib/cli/cp.ts", "Copy files between a container and the host"),
  diff: entry("lib/cli/diff.ts", "Show changed files in a container's filesystem"),
  export: entry("lib/cli/export.ts", "Export a container's filesystem as a tar"),
  images: entry("lib/cli/images.ts", "List images"),
  image: entry("lib/cli/image.ts", "Manage images (ls, inspect, rm, prune, …)"),
  history: entry("lib/cli/history.ts", "Show the history of an image"),
  pull: entry("lib/cli/pull.ts", "Pull an image from a registry"),
  push: entry("lib/cli/push.ts", "Upload an image to a registry"),
  load: entry("lib/cli/load.ts", "Load an image from a docker-archive or OCI tar"),
  import: entry("lib/cli/import.ts", "Create an image from a rootfs tarball"),
  save: entry("lib/cli/save.ts", "Save an image to a docker-archive tar"),
  tag: entry("lib/cli/tag.ts", "Give an image another name"),
  rmi: entry("lib/cli/rmi.ts", "Remove images"),
  login: entry("lib/cli/login.ts", "Log in to a registry"),
  logout: entry("lib/cli/logout.ts", "Log out from a registry"),
  volume: entry("lib/cli/volume.ts", "Manage volumes"),
  network: entry("lib/cli/network.ts", "Manage networks"),
  port: entry("lib/cli/port.ts", "List port mappings of a container"),
  system: entry("lib/cli/system.ts", "System-wide commands (boot, df, info, prune)"),
  info: entry("lib/cli/info.ts", "Display system-wide information"),
  version: entry("lib/cli/version.ts", "Show the tsbox version information"),
};

/** Hidden commands used when tsbox re-executes itself. */
export const HIDDEN: Record<string, CommandEntry> = {
  "__init": entry("lib/init/main.ts"),
  "__monitor": entry("lib/container/monitor_main.ts"),
  "__conmon-exit": entry("lib/container/conmon_exit.ts"),
  "__exec": entry("lib/init/exec_main.ts"),
  "__runc": entry("lib/runc/main.ts"),
  "__cp": entry("lib/copy/cp_main.ts"),
};

/** An ordinary user's command, run again inside the user's namespace (rootless). */
export const ROOTLESS: CommandEntry = entry("lib/userns/rootless.ts");

/**
 * Every module the tables name, as file URLs of the source tree (for
 * `deno compile --include`, the bundle and the import-graph test).
 */
export function commandModules(): URL[] {
  return [...Object.values(COMMANDS), ...Object.values(HIDDEN), ROOTLESS]
    .map((e) => moduleUrl(e.module));
}
