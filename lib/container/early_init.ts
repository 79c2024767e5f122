/**
 * The init's process and socket, and the init `run` spawns ahead of its
 * container (its head start): spawned before the container is created —
 * by main.ts, through lib/container/run_ahead.ts, before run's own modules
 * load, or by `run` after its flags — it waits for its spec on its socket.
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { closeFd, seqpacketPair, setCloexec } from "../../ffi/fds.ts";
import { type InitChild, type InitCommand, spawnInit } from "./init_child.ts";
import { INIT_FD_ENV } from "./init_spec.ts";
import { entryCommand } from "../self.ts";
import { HIDDEN } from "../cli/commands.ts";
import type { LinuxNamespace } from "../oci/spec.ts";

/**
 * The init's stdio for a start of a container with `tty`: output always
 * comes to us (the json log, then our own stdio in the foreground; a
 * tty's on the pty), stdin only when the start is interactive.
 */
export function initStdio(
  tty: boolean,
  stdio: { interactive: boolean; log?: boolean; attach?: { stdin: boolean } },
): Pick<InitCommand, "stdin" | "stdout" | "stderr"> {
  return {
    stdin: tty || !stdio.interactive || stdio.attach?.stdin === false
      ? "null"
      : stdio.log
      ? "piped"
      : "inherit",
    stdout: tty ? "null" : "piped",
    stderr: "piped",
  };
}

/**
 * An init spawned ahead of its container (by `run`, before `create`): it
 * pays its runtime's start-up while the record, cgroup and bundle are
 * being made, then waits for its spec on `sock`. Spawned in a new PID
 * namespace, behind the user namespace stage when `userns` (its maps are
 * written at its "userns" step, as for any start), or behind the rootless
 * PID namespace stage.
 */
export interface EarlyInit {
  child: InitChild;
  /** Our end of its init socket. */
  sock: number;
  stdio: Pick<InitCommand, "stdin" | "stdout" | "stderr">;
  /** Behind the user namespace stage. */
  userns: boolean;
  /** Spawned by a rootless tsbox (behind its PID namespace stage). */
  rootless: boolean;
}

/** Spawn `__init` for `namespaces` with its init socket: our end is `sock`. */
export function spawnWithSocket(
  ctx: CliContext,
  namespaces: LinuxNamespace[],
  stdio: Pick<InitCommand, "stdin" | "stdout" | "stderr">,
): { child: InitChild; sock: number } {
  const [sock, childEnd] = seqpacketPair();
  try {
    setCloexec(sock);
    const child = spawnInit(ctx.kernel, namespaces, {
      argv: [...entryCommand(ctx.self, HIDDEN.__init.module), "--root", ctx.paths.root, "__init"],
      env: { [INIT_FD_ENV]: String(childEnd) },
      ...stdio,
    }, ctx.rootless);
    return { child, sock };
  } catch (err) {
    closeFd(sock);
    throw err;
  } finally {
    closeFd(childEnd);
  }
}

/** Whether `early` was spawned with the stdio `want`. */
export function hasStdio(
  early: EarlyInit,
  want: Pick<InitCommand, "stdin" | "stdout" | "stderr">,
): boolean {
  return early.stdio.stdin === want.stdin && early.stdio.stdout === want.stdout &&
    early.stdio.stderr === want.stderr;
}

/** Spawn an init ahead of its container (see EarlyInit). */
export function spawnEarlyInit(
  ctx: CliContext,
  stdio: Pick<InitCommand, "stdin" | "stdout" | "stderr">,
  userns = false,
): EarlyInit {
  const namespaces: LinuxNamespace[] = userns ? [{ type: "pid" }, { type: "user" }] : [
    { type: "pid" },
  ];
  const { child, sock } = spawnWithSocket(ctx, namespaces, stdio);
  return { child, sock, stdio, userns, rootless: ctx.rootless === true };
}

/**
 * Stop an early init that will not be used (it has not been told
 * anything): its socket closes first, so an init behind the user
 * namespace stage, orphaned when the stage is killed, sees EOF and ends.
 */
export async function abandonEarlyInit(early: EarlyInit): Promise<void> {
  closeFd(early.sock);
  await early.child.stop();
}
