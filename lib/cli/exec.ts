/**
 * `tsbox exec [-i] [-t] [-d] [-e K=V] [-w DIR] [-u USER] CONTAINER CMD…`.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { ContainerError, EXIT_CANNOT_EXEC, TsboxError, UsageError } from "../errors.ts";
import { requireTerminal } from "./tty_check.ts";
import { isPaused } from "../container/pause.ts";
import { expandEnv, parseEnvFile } from "./run_flags.ts";
import { findContainer } from "../container/lookup.ts";
import { execInContainer } from "../container/exec.ts";
import { daemonError } from "../container/cli_report.ts";
import { daemonDetachKeys } from "../container/detach_keys.ts";

const USAGE = `Usage: tsbox exec [OPTIONS] CONTAINER COMMAND [ARG...]

Execute a command in a running container

Options:
  -d, --detach           run the command in the background
      --detach-keys KEYS   checked as docker checks them; tsbox's exec session cannot be
                           detached from (it ends with this CLI), so they are not watched for
  -e, --env K=V          set environment variables
      --env-file FILE    read environment variables from a file
  -i, --interactive      keep STDIN open
      --privileged       give the command every capability
  -t, --tty              allocate a pseudo-TTY (-it needs a terminal on stdin)
  -u, --user USER        user name or uid (format: <name|uid>[:<group|gid>])
  -w, --workdir DIR      working directory inside the container

Exit status: the command's; 126 when it cannot be started (not found, not
executable, unknown user), as docker; 1 when the container is not running.`;

/** `tsbox exec`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "detach", short: "d", type: "bool" },
    { name: "detach-keys", type: "string" },
    { name: "env", short: "e", type: "list" },
    { name: "env-file", type: "list" },
    { name: "interactive", short: "i", type: "bool" },
    { name: "tty", short: "t", type: "bool" },
    { name: "user", short: "u", type: "string" },
    { name: "workdir", short: "w", type: "string" },
    { name: "privileged", type: "bool" },
    { name: "help", type: "bool" },
  ], true);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  const [ref, ...cmd] = p.positionals;
  if (!ref || cmd.length === 0) {
    throw new UsageError(`"exec" requires at least 2 arguments`, { hint: USAGE.split("\n")[0] });
  }
  const fromFiles = list(p, "env-file").flatMap((f) => {
    let text: string;
    try {
      text = Deno.readTextFileSync(f);
    } catch (err) {
      throw new UsageError(`open ${f}: no such file or directory`, { cause: err });
    }
    return parseEnvFile(text, f);
  });
  if (bool(p, "tty") && bool(p, "interactive") && !bool(p, "detach")) requireTerminal();
  return await daemonError(async () => {
    const keys = str(p, "detach-keys");
    if (keys !== undefined) daemonDetachKeys(keys, "escape"); // docker's daemon: before the exec
    const rec = findContainer(ctx.paths, ref);
    if (isPaused(rec)) {
      throw new ContainerError(
        `Container ${rec.config.id} is paused, unpause the container before exec`,
        { exitCode: 1 },
      );
    }
    try {
      return await execInContainer(ctx, rec, {
        cmd,
        env: expandEnv([...fromFiles, ...list(p, "env")], ctx.env),
        workdir: str(p, "workdir"),
        user: str(p, "user"),
        tty: bool(p, "tty"),
        interactive: bool(p, "interactive"),
        detach: bool(p, "detach"),
        privileged: bool(p, "privileged"),
      });
    } catch (err) {
      // the command could not be started (not found, not executable, unknown
      // user, bad workdir): docker records exit code 126 for any such exec
      // (the helper's error carries the init's code; 1 = the container stopped)
      if (err instanceof TsboxError && !(err instanceof ContainerError) && err.exitCode !== 1) {
        throw new TsboxError(err.message, { exitCode: EXIT_CANNOT_EXEC, hint: err.hint });
      }
      throw err;
    }
  });
};
