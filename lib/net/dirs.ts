/**
 * Where the network store keeps the plugins' state and tsbox's own records
 * under `paths.networks` (a leaf: the none/host run path reads the
 * attachment records without loading the store, see store.ts).
 * @module
 */

import { join } from "../posix_path.ts";
import type { Paths } from "../paths.ts";

/** Directories of the network store. */
export interface NetDirs {
  ipam: string;
  tuning: string;
  attachments: string;
  netns: string;
}

/** The store's directories under `paths.networks`. */
export function netDirs(paths: Paths): NetDirs {
  const n = paths.networks;
  return {
    ipam: join(n, "ipam"),
    tuning: join(n, "tuning"),
    attachments: join(n, "attachments"),
    netns: join(n, "netns"),
  };
}
