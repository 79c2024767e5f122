/**
 * Where tsbox's separately loaded modules are at run time: the command
 * table's (lib/cli/commands.ts), the lazy ones (lib/lazy.ts) and the unpack
 * worker (lib/image/unpack_pool.ts). Each is named by its path from the
 * repository root, "lib/cli/run.ts".
 *
 * From the source tree that is the `.ts` file. In the bundled build
 * (`deno task bundle`, tools/bundle.ts) every such module and main.ts are
 * bundled one by one, each with all it imports statically, into the same
 * tree of paths ending in `.js`: dist/main.js, dist/lib/cli/run.js, … A
 * process then loads two files (main.js and its command's) instead of ~180
 * modules. The bundle's modules are found beside its main.js, the module
 * Deno started.
 *
 * This module imports nothing (the command table's test keeps it so).
 * @module
 */

/** True when this code runs from the bundled build: it is no longer a `.ts` module. */
export const BUNDLED = !import.meta.url.endsWith(".ts");

/** The repository root (source) or the bundle's directory (bundled). */
function base(): URL {
  if (!BUNDLED) return new URL("../", import.meta.url);
  if (!Deno.mainModule.endsWith("/main.js")) {
    throw new Error(`tsbox's bundle must be run through its main.js, not ${Deno.mainModule}`);
  }
  return new URL("./", Deno.mainModule);
}

/** The file URL of module `path` ("lib/cli/run.ts"), in the source tree or the bundle. */
export function moduleUrl(path: string): URL {
  return new URL(BUNDLED ? path.replace(/\.ts$/, ".js") : path, base());
}

/**
 * Import module `path` ("lib/cli/run.ts"). The specifier is computed on
 * purpose: Deno reads and parses every module a string-literal
 * `import("./x.ts")` names, transitively, when the program starts, called
 * or not; `deno compile` does not follow it either (tools/includes.ts).
 */
export function loadModule<T>(path: string): Promise<T> {
  return import(moduleUrl(path).href);
}
