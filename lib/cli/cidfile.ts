/**
 * `--cidfile FILE` of run/create: docker refuses an existing file before
 * creating anything, then writes the new container's id into it.
 * @module
 */

import { TsboxError } from "../errors.ts";

/**
 * Refuse a cidfile that already exists (docker's wording).
 * @throws {TsboxError} the file exists (run/create: exit 125).
 */
export function checkCidfile(path: string | undefined): void {
  if (path === undefined) return;
  try {
    Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  throw new TsboxError(
    `Container ID file found, make sure the other container isn't running or delete ${path}`,
  );
}

/**
 * Write `id` to a new `path` (never over an existing file).
 * @throws {TsboxError} the file appeared meanwhile or cannot be written.
 */
export function writeCidfile(path: string | undefined, id: string): void {
  if (path === undefined) return;
  try {
    Deno.writeTextFileSync(path, id, { createNew: true });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) checkCidfile(path);
    throw new TsboxError(`failed to create the container ID file ${path}`, { cause: err });
  }
}
