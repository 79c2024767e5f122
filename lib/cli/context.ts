/**
 * What every command receives: the state root, the kernel and global options.
 * Built once in `main.ts`; no module keeps its own singletons.
 * @module
 */

import type { Kernel } from "../kernel.ts";
import type { Paths } from "../paths.ts";
import type { EarlyInit } from "../container/early_init.ts";

/** Context passed to every command. */
export interface CliContext {
  /** State directories. */
  paths: Paths;
  /** System calls. */
  kernel: Kernel;
  /** `--debug`: print stack traces and step timings. */
  debug: boolean;
  /** How to re-execute tsbox itself (argv prefix; append the hidden subcommand). */
  self: string[];
  /** Rootless: inside the user's own user namespace (no cgroups, no bridge, no mknod). */
  rootless?: boolean;
  /** Environment (for TSBOX_* settings), read once in main. */
  env: Record<string, string>;
  /**
   * `run`: the init main.ts spawned before run's modules loaded
   * (lib/container/run_ahead.ts); run takes it if it fits, else stops it.
   */
  early?: EarlyInit;
}

/** A command: parses its own args, returns the process exit code. */
export type Command = (args: string[], ctx: CliContext) => Promise<number>;
