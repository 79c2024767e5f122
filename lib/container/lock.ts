/**
 * Per-container lock: an exclusive flock on the container's directory.
 * Locking the directory itself (not a file in it) means removal needs no
 * extra file and a waiter that wakes up after `rm` finds no container.json and
 * reports "No such container" instead of recreating anything.
 *
 * Lock order, to stay deadlock-free: `locks/names.lock` before a container
 * lock; never two container locks at once; never hold one while waiting
 * for a supervisor that may need it.
 * @module
 */

import { join } from "../posix_path.ts";
import type { Paths } from "../paths.ts";
import { containerDir } from "../paths.ts";
import {
  type ContainerRecord,
  readContainer,
  RECORD_FILE,
  writeConfig,
  writeState,
} from "./store.ts";
import { NoSuchContainer } from "./lookup.ts";
import type { LiveState } from "./live.ts";
import { exists } from "../fsutil.ts";

async function lockDir(dir: string, id: string): Promise<Deno.FsFile> {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(dir, { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new NoSuchContainer(id);
    throw err;
  }
  try {
    await f.lock(true);
    return f;
  } catch (err) {
    f.close();
    throw err;
  }
}

/**
 * Run `fn` with container `id` locked and freshly read. A record an older
 * tsbox kept in `config.json` is first written as `container.json` (the
 * start then replaces `config.json` with the OCI spec).
 * @throws {NoSuchContainer} it does not exist (or was removed while we waited).
 */
export async function withContainerLock<T>(
  paths: Paths,
  id: string,
  fn: (rec: ContainerRecord) => T | Promise<T>,
): Promise<T> {
  const f = await lockDir(containerDir(paths, id), id);
  try {
    const rec = readContainer(paths, id);
    if (!rec) throw new NoSuchContainer(id);
    if (!exists(join(rec.dir, RECORD_FILE))) writeConfig(paths, rec.config);
    return await fn(rec);
  } finally {
    f.close();
  }
}

/**
 * Run `fn` holding the lock of container directory `dir` (a live one or a
 * trash dir). `fn` gets false when the directory vanished while we waited
 * (another remover finished), else true.
 * @throws {NoSuchContainer} the directory does not exist.
 */
export async function withDirLock<T>(
  dir: string,
  id: string,
  fn: (stillThere: boolean) => T | Promise<T>,
): Promise<T> {
  const f = await lockDir(dir, id);
  try {
    return await fn(exists(dir));
  } finally {
    f.close();
  }
}

/**
 * Read-modify-write state.json under the lock; `fn` returns the new state
 * (or undefined to keep it). A container removed meanwhile is left alone.
 * @returns false when the container no longer exists.
 */
export async function updateState(
  paths: Paths,
  id: string,
  fn: (rec: ContainerRecord) => LiveState | undefined | Promise<LiveState | undefined>,
): Promise<boolean> {
  try {
    await withContainerLock(paths, id, async (rec) => {
      const next = await fn(rec);
      if (next) writeState(paths, id, next);
    });
    return true;
  } catch (err) {
    if (err instanceof NoSuchContainer) return false; // removed by `rm -f` while it ran
    throw err;
  }
}
