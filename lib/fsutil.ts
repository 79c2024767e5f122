/**
 * Small filesystem helpers: atomic JSON writes, exclusive locks, existence.
 * Sync on purpose: callers may run after changing namespaces, where async
 * ops (run on other threads) would see the host's view.
 * @module
 */

import { dirname, join } from "./posix_path.ts";

/** Write `data` as JSON atomically (temp file in the same dir + rename). */
export function writeJsonAtomic(path: string, data: unknown, mode = 0o644): void {
  writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(data, null, 2) + "\n"), mode);
}

/**
 * `writeJsonAtomic` without the indentation, for the big files programs
 * read back (a container's record, its bundle's config.json): the indent
 * doubled a record (~22 KB), and every create reads all of them.
 */
export function writeCompactJsonAtomic(path: string, data: unknown, mode = 0o644): void {
  writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(data) + "\n"), mode);
}

let tmpOwner: string | undefined;

/**
 * `<pid>.<starttime>` of this process, as temp names carry it: a GC can
 * then tell a dead writer's leftover from a live writer's work.
 */
function selfTag(): string {
  if (tmpOwner) return tmpOwner;
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  return tmpOwner = `${Deno.pid}.${start}`;
}

/**
 * Write bytes atomically (temp file `.tmp-<pid>.<starttime>-<uuid>` in the
 * same dir, fsync-free rename).
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, mode = 0o644): void {
  const dir = dirname(path);
  Deno.mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.tmp-${selfTag()}-${crypto.randomUUID()}`);
  try {
    Deno.writeFileSync(tmp, bytes, { mode });
    Deno.renameSync(tmp, path);
  } catch (err) {
    removeIfExists(tmp);
    throw err;
  }
}

/** Read a text file, or `undefined` when it does not exist. */
export function readTextIfExists(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** Read JSON, or `undefined` when the file does not exist. */
export function readJsonIfExists<T>(path: string): T | undefined {
  const text = readTextIfExists(path);
  return text === undefined ? undefined : JSON.parse(text) as T;
}

/** Remove a file or empty dir; missing is fine. */
export function removeIfExists(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** True when `path` exists (lstat: a dangling symlink exists). */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Run `fn` holding an exclusive flock on `lockPath` (created if needed).
 * The lock is released when the file is closed, including if the process dies.
 */
export async function withLock<T>(lockPath: string, fn: () => T | Promise<T>): Promise<T> {
  Deno.mkdirSync(dirname(lockPath), { recursive: true });
  const f = Deno.openSync(lockPath, { create: true, write: true, read: true });
  try {
    await f.lock(true);
    return await fn();
  } finally {
    f.close();
  }
}

/** Synchronous `withLock` for code that must not yield. */
export function withLockSync<T>(lockPath: string, fn: () => T): T {
  Deno.mkdirSync(dirname(lockPath), { recursive: true });
  const f = Deno.openSync(lockPath, { create: true, write: true, read: true });
  try {
    f.lockSync(true);
    return fn();
  } finally {
    f.close();
  }
}
