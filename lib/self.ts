/**
 * How to re-execute tsbox itself: the compiled binary is just its own
 * executable; under `deno run` it is `deno run -A <main module>`.
 *
 * The executable comes from /proc/self/exe, read here rather than through
 * `Deno.execPath()`, which panics (aborting the process, uncatchable) when
 * /proc is not mounted — as in a bare chroot. Without /proc, `deno run`
 * falls back to the `deno` on PATH; a compiled binary gets a clear error.
 *
 * Every tsbox process runs with the same V8 flags, `V8_FLAGS`: V8 refuses
 * a code cache made under other flags, so a CLI and the init it starts
 * must agree or each would recompile what the other cached. `--no-lazy`
 * compiles every function with its module, into Deno's code cache, instead
 * of on its first call in every short-lived process: measured here, 50
 * concurrent `run -d` took ~12% less time (they are CPU-bound) and a
 * `run --rm` ~4 ms less. The launchers (tsbox-runc, tools/bundle.ts's) and
 * tools/build.ts pass the same flags.
 * @module
 */

import { basename, join } from "./posix_path.ts";
import { TsboxError } from "./errors.ts";
import { fromFileUrl } from "./url.ts";

/** The V8 flags of every tsbox process (`deno run --v8-flags=…`, `deno compile --v8-flags=…`). */
export const V8_FLAGS = "--no-lazy";

/** What `deno run` gets before the main module, in every tsbox process. */
export const DENO_RUN_ARGS = ["-A", "--quiet", "--no-prompt", `--v8-flags=${V8_FLAGS}`];

/** The running executable, or undefined when /proc/self/exe cannot be read. */
function procSelfExe(procExe: string): string | undefined {
  try {
    return Deno.readLinkSync(procExe);
  } catch (err) {
    // no /proc (a bare chroot) or a proc without this process (another pid namespace)
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied) {
      return undefined;
    }
    throw err;
  }
}

/** True when `p` is an existing file. */
function isFile(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * argv prefix that starts this same program.
 * @param pathEnv the PATH searched for `deno` when /proc/self/exe is unreadable.
 * @throws {TsboxError} the executable cannot be found (a compiled tsbox without /proc).
 */
export function selfCommand(pathEnv = "", procExe = "/proc/self/exe"): string[] {
  const main = Deno.mainModule.startsWith("file:") ? fromFileUrl(Deno.mainModule) : "";
  const run = (deno: string) => [deno, "run", ...DENO_RUN_ARGS, main];
  const exe = procSelfExe(procExe);
  if (exe !== undefined) return basename(exe) === "deno" ? run(exe) : [exe];
  // `deno run main.ts`: the module is a file on disk and a deno is on PATH
  const deno = pathEnv.split(":").filter(Boolean).map((d) => join(d, "deno")).find(isFile);
  if (deno && main && isFile(main)) return run(deno);
  throw new TsboxError(`cannot find tsbox's own executable: ${procExe} is unreadable`, {
    path: procExe,
    hint: "mount proc on /proc",
  });
}

/**
 * argv prefix that starts hidden entry `module` (a path relative to the
 * main module's directory, as `lib/init/main.ts`) of the program `self`
 * starts: under `deno run`, that entry's own file beside the main module
 * (`.js` in the bundle, `.ts` in the source tree), run as the main module
 * (lib/init/direct.ts), so the process does not load main.ts and its
 * command table first; a compiled tsbox is one executable, `self` as it
 * is. The arguments that follow are the same either way (`--root R __init`).
 */
export function entryCommand(self: readonly string[], module: string): string[] {
  const m = self.length > 1 ? /^(.*\/)main\.(ts|js)$/.exec(self[self.length - 1]) : null;
  if (!m) return [...self];
  return [...self.slice(0, -1), `${m[1]}${module.replace(/\.ts$/, `.${m[2]}`)}`];
}
