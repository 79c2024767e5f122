/**
 * What `deno compile` must be told to include, and what tools/bundle.ts
 * bundles beside main.ts: every module tsbox imports by a computed
 * specifier, which compile does not follow — the command table's
 * (lib/cli/commands.ts) and the lazily loaded ones (lib/lazy.ts) — and the
 * unpack worker, loaded by URL.
 * tests/imports/entry_graph_test.ts checks that no computed import target
 * is missing from this list.
 * @module
 */

import { commandModules } from "../lib/cli/commands.ts";
import { lazyModules } from "../lib/lazy.ts";
import { moduleUrl } from "../lib/module_url.ts";
import { UNPACK_WORKER } from "../lib/image/unpack_pool.ts";

/** Every computed-import target and the unpack worker, as file URLs (each once). */
export function compileIncludes(): URL[] {
  const seen = new Set<string>();
  return [...commandModules(), ...lazyModules(), moduleUrl(UNPACK_WORKER)].filter((u) => {
    if (seen.has(u.href)) return false;
    seen.add(u.href);
    return true;
  });
}
