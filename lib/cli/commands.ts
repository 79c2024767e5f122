/**
 * The command table: name → module. Modules are imported lazily so a
 * command only loads what it uses (start-up time matters for `run`).
 * Each module exports `main: Command`.
 * @module
 */

import type { Command } from "./context.ts";

type Loader = () => Promise<{ main: Command }>;

/** Public commands, in help order, with one-line descriptions. */
export const COMMANDS: Record<string, { load: Loader; help: string }> = {
  run: { load: () => import("./run.ts"), help: "Create and run a container" },
  create: { load: () => import("./create.ts"), help: "Create a container without starting it" },
  start: { load: () => import("./start.ts"), help: "Start a stopped container" },
  ps: { load: () => import("./ps.ts"), help: "List containers" },
  logs: { load: () => import("./logs.ts"), help: "Show a container's logs" },
  exec: { load: () => import("./exec.ts"), help: "Run a command in a running container" },
  stop: { load: () => import("./stop.ts"), help: "Stop running containers" },
  kill: { load: () => import("./kill.ts"), help: "Send a signal to running containers" },
  restart: { load: () => import("./restart.ts"), help: "Restart containers (stop, then start)" },
  pause: { load: () => import("./pause.ts"), help: "Pause all processes of containers" },
  update: { load: () => import("./update.ts"), help: "Update limits and restart policy" },
  unpause: { load: () => import("./unpause.ts"), help: "Unpause paused containers" },
  rm: { load: () => import("./rm.ts"), help: "Remove containers" },
  inspect: { load: () => import("./inspect.ts"), help: "Show low-level information as JSON" },
  wait: { load: () => import("./wait.ts"), help: "Wait for containers to exit" },
  top: { load: () => import("./top.ts"), help: "Show the processes of a container" },
  rename: { load: () => import("./rename.ts"), help: "Rename a container" },
  container: { load: () => import("./container.ts"), help: "Manage containers (ls, prune, …)" },
  stats: { load: () => import("./stats.ts"), help: "Show resource usage of containers" },
  commit: {
    load: () => import("./commit.ts"),
    help: "Create a new image from a container's changes",
  },
  build: { load: () => import("./build.ts"), help: "Build an image from a Dockerfile" },
  builder: { load: () => import("./builder.ts"), help: "Manage builds (prune the build cache)" },
  cp: { load: () => import("./cp.ts"), help: "Copy files between a container and the host" },
  diff: { load: () => import("./diff.ts"), help: "Show changed files in a container's filesystem" },
  export: { load: () => import("./export.ts"), help: "Export a container's filesystem as a tar" },
  images: { load: () => import("./images.ts"), help: "List images" },
  image: { load: () => import("./image.ts"), help: "Manage images (ls, inspect, rm, prune, …)" },
  history: { load: () => import("./history.ts"), help: "Show the history of an image" },
  pull: { load: () => import("./pull.ts"), help: "Pull an image from a registry" },
  push: { load: () => import("./push.ts"), help: "Upload an image to a registry" },
  load: { load: () => import("./load.ts"), help: "Load an image from a docker-archive or OCI tar" },
  import: { load: () => import("./import.ts"), help: "Create an image from a rootfs tarball" },
  save: { load: () => import("./save.ts"), help: "Save an image to a docker-archive tar" },
  tag: { load: () => import("./tag.ts"), help: "Give an image another name" },
  rmi: { load: () => import("./rmi.ts"), help: "Remove images" },
  login: { load: () => import("./login.ts"), help: "Log in to a registry" },
  logout: { load: () => import("./logout.ts"), help: "Log out from a registry" },
  volume: { load: () => import("./volume.ts"), help: "Manage volumes" },
  network: { load: () => import("./network.ts"), help: "Manage networks" },
  port: { load: () => import("./port.ts"), help: "List port mappings of a container" },
  system: {
    load: () => import("./system.ts"),
    help: "System-wide commands (boot, df, info, prune)",
  },
  info: { load: () => import("./info.ts"), help: "Display system-wide information" },
  version: { load: () => import("./version.ts"), help: "Show the tsbox version information" },
};

/** Hidden commands used when tsbox re-executes itself. */
export const HIDDEN: Record<string, Loader> = {
  "__init": () => import("../init/main.ts"),
  "__monitor": () => import("../container/monitor_main.ts"),
  "__conmon-exit": () => import("../container/conmon_exit.ts"),
  "__exec": () => import("../init/exec_main.ts"),
  "__runc": () => import("../runc/main.ts"),
  "__cp": () => import("../copy/cp_main.ts"),
};
