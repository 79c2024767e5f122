/**
 * What main.ts needs of rootless mode before it dispatches: the marker of
 * a process inside the user's namespace and the user's state root. A leaf
 * (the re-run itself, rootless.ts, is loaded only when it runs).
 * @module
 */

import { join } from "../posix_path.ts";
import { UsageError } from "../errors.ts";

/** Set (to "1") in tsbox processes running inside the rootless user namespace. */
export const ROOTLESS_ENV = "_TSBOX_ROOTLESS";

/** The user's state root: $XDG_DATA_HOME/tsbox, default ~/.local/share/tsbox. */
export function rootlessRoot(env: Record<string, string>): string {
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, "tsbox");
  if (!env.HOME) throw new UsageError("rootless tsbox needs $HOME or $XDG_DATA_HOME");
  return join(env.HOME, ".local/share/tsbox");
}
