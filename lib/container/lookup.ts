/**
 * Find a container the way docker does: full id, then exact name, then a
 * unique id prefix. Errors carry docker's wording and exit code 1.
 * @module
 */

import type { Paths } from "../paths.ts";
import { ContainerError } from "../errors.ts";
import {
  type ContainerRecord,
  CorruptContainer,
  readContainer,
  scanContainers,
  warnBroken,
} from "./store.ts";

/** The container does not exist (docker: 404, CLI exit 1). */
export class NoSuchContainer extends ContainerError {
  constructor(readonly ref: string) {
    super(`No such container: ${ref}`, { exitCode: 1 });
    this.name = "NoSuchContainer";
  }
}

/**
 * Resolve `ref` (id, name with or without a leading `/`, or id prefix).
 * A container being removed is found too (its `remover` is set); one whose
 * record is unreadable is reported as such when the ref names it by id.
 * @throws {NoSuchContainer} nothing matches.
 * @throws {CorruptContainer} the id (or prefix) names a broken record (exit 1).
 * @throws {ContainerError} the prefix matches several ids (exit 1).
 */
export function findContainer(paths: Paths, ref: string): ContainerRecord {
  const r = ref.replace(/^\/+/, "");
  if (r === "") throw new ContainerError("Container name cannot be empty", { exitCode: 1 });
  if (/^[0-9a-f]{64}$/.test(r)) {
    const rec = readContainer(paths, r);
    if (rec) return rec;
  }
  const { records, broken } = scanContainers(paths);
  const byId = records.find((c) => c.config.id === r);
  if (byId) return byId;
  const brokenId = broken.find((b) => b.id === r);
  if (brokenId) throw new CorruptContainer(brokenId);
  const byName = records.find((c) => c.config.name === r);
  if (byName) return byName;
  if (/^[0-9a-f]+$/.test(r)) {
    const hits = [...records.map((c) => c.config.id), ...broken.map((b) => b.id)]
      .filter((id) => id.startsWith(r));
    if (hits.length > 1) {
      throw new ContainerError(`multiple IDs found with provided prefix: ${r}`, { exitCode: 1 });
    }
    const b = broken.find((b) => b.id === hits[0]);
    if (b) throw new CorruptContainer(b);
    const rec = records.find((c) => c.config.id === hits[0]);
    if (rec) return rec;
  }
  warnBroken(broken); // the one looked for may be among them
  throw new NoSuchContainer(ref);
}

/** Re-read a container by its full id (after a lock was taken). */
export function reread(paths: Paths, id: string): ContainerRecord {
  const rec = readContainer(paths, id);
  if (!rec) throw new NoSuchContainer(id);
  return rec;
}
