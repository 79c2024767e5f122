/**
 * Where a conmon-supervised container keeps conmon's files: in its
 * container directory (they go with it) `conmon/` holds the pid files
 * (conmon's and the container's) and the start error `tsbox-runc create`
 * leaves for the CLI and the exit command; conmon itself adds the `attach`
 * socket and the `ctl`/`winsz` fifos to the bundle (the container dir).
 * The exit file conmon writes (`--exit-dir`, named by the container id)
 * is under /run, as podman's: a full state root must not cost the exit
 * code (conmon gives up without writing it); the exit command removes it.
 * @module
 */

import { join } from "../posix_path.ts";
import type { Paths } from "../paths.ts";
import { readJsonIfExists, writeJsonAtomic } from "../fsutil.ts";

/** `tsbox-runc --root` for the containers of state root `paths` (its own state per container). */
export function runtimeRoot(paths: Paths): string {
  return join(paths.root, "runtime");
}

/**
 * Remove the runtime's state of container `id` (`state.json` and, before
 * a start, `exec.fifo`: plain files, never a mount); gone already is fine.
 */
export function removeRuntimeState(paths: Paths, id: string): void {
  try {
    Deno.removeSync(join(runtimeRoot(paths), id), { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err; // never under conmon, or cleaned
  }
}

/** conmon's directory inside container directory `dir`. */
export function conmonDir(dir: string): string {
  return join(dir, "conmon");
}

/** conmon's `--exit-dir` (on /run: another filesystem than the state root, as a rule). */
export const EXIT_DIR = "/run/tsbox-conmon/exits";

/** The exit file conmon writes for container `id` (its exit code as text). */
export function exitFile(id: string): string {
  return join(EXIT_DIR, id);
}

/** Remove container `id`'s exit file (recorded, or stale); gone already is fine. */
export function removeExitFile(id: string): void {
  try {
    Deno.removeSync(exitFile(id));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err; // none was written
  }
}

/** conmon's `--conmon-pidfile` (the supervising conmon's pid). */
export function conmonPidFile(dir: string): string {
  return join(conmonDir(dir), "conmon.pid");
}

/** conmon's `--container-pidfile` (the runtime writes the init's pid). */
export function containerPidFile(dir: string): string {
  return join(conmonDir(dir), "pid");
}

/** Why `tsbox-runc create` could not start the container, with the exit code docker gives. */
export interface StartError {
  message: string;
  code: number;
}

function startErrorFile(dir: string): string {
  return join(conmonDir(dir), "start-error.json");
}

/** Record why the create failed (written by `tsbox-runc create` of a tsbox bundle). */
export function writeStartError(dir: string, e: StartError): void {
  Deno.mkdirSync(conmonDir(dir), { recursive: true, mode: 0o700 });
  writeJsonAtomic(startErrorFile(dir), e);
}

/** The create's failure, if it left one. */
export function readStartError(dir: string): StartError | undefined {
  try {
    return readJsonIfExists<StartError>(startErrorFile(dir));
  } catch (err) {
    if (err instanceof SyntaxError) return undefined; // torn by a crash: the exit says the rest
    throw err;
  }
}

/**
 * The exit code conmon recorded for container `id`: undefined when there
 * is no exit file (the create failed, or conmon died first); conmon writes
 * -1 when it killed the container on its --timeout.
 */
export function readExitFile(id: string): number | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(exitFile(id));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // no exit was recorded
    throw err;
  }
  const n = Number(text.trim());
  return Number.isInteger(n) ? n : undefined;
}

/**
 * A fresh, empty conmon directory for a new run: the previous run's exit
 * file and start error must not count for this one. It holds only plain
 * files written by conmon and tsbox, never a mount.
 */
export function resetConmonDir(dir: string, id: string): void {
  removeExitFile(id);
  Deno.mkdirSync(EXIT_DIR, { recursive: true, mode: 0o700 });
  try {
    Deno.removeSync(conmonDir(dir), { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err; // first run under conmon
  }
  Deno.mkdirSync(conmonDir(dir), { mode: 0o700 });
}
