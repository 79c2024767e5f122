/**
 * The command table: name → module. Modules are imported lazily so a
 * command only loads what it uses (start-up time matters for `run`, and
 * for the hidden entries tsbox re-executes itself as). Each module exports
 * `main: Command`.
 *
 * The specifiers are built at run time on purpose: Deno reads and parses
 * every module a string-literal `import("./x.ts")` names, transitively,
 * when the program starts, called or not — so with literals `tsbox __init`
 * read the whole CLI, registry, network and build code (~315 modules) to
 * run ~50. `deno compile` does not follow these either: tools/build.ts
 * passes every module of this table with `--include` (`commandModules()`,
 * through tools/includes.ts, with lib/lazy.ts's modules).
 * @module
 */

import type { Command } from "./context.ts";

/** What a command module exports. */
export interface CommandModule {
  main: Command;
}

type Loader = () => Promise<CommandModule>;

/** One table row: the module (relative to this file), its loader and help line. */
export interface CommandEntry {
  module: string;
  load: Loader;
  help: string;
}

function entry(module: string, help = ""): CommandEntry {
  // a computed specifier: see the module doc (not a literal, so not preloaded)
  const load = () => import(new URL(module, import.meta.url).href) as Promise<CommandModule>;
  return { module, load, help };
}

/** Public commands, in help order, with one-line descriptions. */
export const COMMANDS: Record<string, CommandEntry> = {
  run: entry("./run.ts", "Create and run a container"),
  create: entry("./create.ts", "Create a container without starting it"),
  start: entry("./start.ts", "Start a stopped container"),
  ps: entry("./ps.ts", "List containers"),
  logs: entry("./logs.ts", "Show a container's logs"),
  exec: entry("./exec.ts", "Run a command in a running container"),
  attach: entry("./attach.ts", "Attach to a detached container's stdio"),
  stop: entry("./stop.ts", "Stop running containers"),
  kill: entry("./kill.ts", "Send a signal to running containers"),
  restart: entry("./restart.ts", "Restart containers (stop, then start)"),
  pause: entry("./pause.ts", "Pause all processes of containers"),
  update: entry("./update.ts", "Update limits and restart policy"),
  unpause: entry("./unpause.ts", "Unpause paused containers"),
  rm: entry("./rm.ts", "Remove containers"),
  inspect: entry("./inspect.ts", "Show low-level information as JSON"),
  wait: entry("./wait.ts", "Wait for containers to exit"),
  top: entry("./top.ts", "Show the processes of a container"),
  rename: entry("./rename.ts", "Rename a container"),
  container: entry("./container.ts", "Manage containers (ls, prune, …)"),
  stats: entry("./stats.ts", "Show resource usage of containers"),
  events: entry("./events.ts", "Get real time events (the root's event log)"),
  commit: entry("./commit.ts", "Create a new image from a container's changes"),
  build: entry("./build.ts", "Build an image from a Dockerfile"),
  builder: entry("./builder.ts", "Manage builds (prune the build cache)"),
  cp: entry("./cp.ts", "Copy files between a container and the host"),
  diff: entry("./diff.ts", "Show changed files in a container's filesystem"),
  export: entry("./export.ts", "Export a container's filesystem as a tar"),
  images: entry("./images.ts", "List images"),
  image: entry("./image.ts", "Manage images (ls, inspect, rm, prune, …)"),
  history: entry("./history.ts", "Show the history of an image"),
  pull: entry("./pull.ts", "Pull an image from a registry"),
  push: entry("./push.ts", "Upload an image to a registry"),
  load: entry("./load.ts", "Load an image from a docker-archive or OCI tar"),
  import: entry("./import.ts", "Create an image from a rootfs tarball"),
  save: entry("./save.ts", "Save an image to a docker-archive tar"),
  tag: entry("./tag.ts", "Give an image another name"),
  rmi: entry("./rmi.ts", "Remove images"),
  login: entry("./login.ts", "Log in to a registry"),
  logout: entry("./logout.ts", "Log out from a registry"),
  volume: entry("./volume.ts", "Manage volumes"),
  network: entry("./network.ts", "Manage networks"),
  port: entry("./port.ts", "List port mappings of a container"),
  system: entry("./system.ts", "System-wide commands (boot, df, info, prune)"),
  info: entry("./info.ts", "Display system-wide information"),
  version: entry("./version.ts", "Show the tsbox version information"),
};

/** Hidden commands used when tsbox re-executes itself. */
export const HIDDEN: Record<string, CommandEntry> = {
  "__init": entry("../init/main.ts"),
  "__monitor": entry("../container/monitor_main.ts"),
  "__conmon-exit": entry("../container/conmon_exit.ts"),
  "__exec": entry("../init/exec_main.ts"),
  "__runc": entry("../runc/main.ts"),
  "__cp": entry("../copy/cp_main.ts"),
};

/** An ordinary user's command, run again inside the user's namespace (rootless). */
export const ROOTLESS: CommandEntry = entry("../userns/rootless.ts");

/**
 * Every module the tables name, as file URLs (for `deno compile --include`
 * and the import-graph test).
 */
export function commandModules(): URL[] {
  return [...Object.values(COMMANDS), ...Object.values(HIDDEN), ROOTLESS]
    .map((e) => new URL(e.module, import.meta.url));
}
