/**
 * Layout of the state root (default `/var/lib/tsbox`; `--root` or
 * `TSBOX_ROOT` override it). Pure path arithmetic: nothing is created here.
 * @module
 */

import { join } from "./posix_path.ts";

/** Default state root. */
export const DEFAULT_ROOT = "/var/lib/tsbox";

/** Every directory tsbox keeps state in, derived from one root. */
export interface Paths {
  /** The state root itself. */
  root: string;
  /** Image store: `blobs/`, `layers/`, `images/`, `repositories.json`. */
  images: string;
  /** One directory per container: `containers/<id>/`. */
  containers: string;
  /** Named and anonymous volumes: `volumes/<name>/_data`. */
  volumes: string;
  /** CNI network configs and IPAM leases. */
  networks: string;
  /** Lock files (name allocation, per-object locks). */
  locks: string;
  /** Scratch space on the same filesystem (for atomic renames). */
  tmp: string;
}

/** Paths under `root`. */
export function pathsFor(root: string): Paths {
  return {
    root,
    images: join(root, "image"),
    containers: join(root, "containers"),
    volumes: join(root, "volumes"),
    networks: join(root, "networks"),
    locks: join(root, "locks"),
    tmp: join(root, "tmp"),
  };
}

/** Directory of one container. */
export function containerDir(paths: Paths, id: string): string {
  return join(paths.containers, id);
}
