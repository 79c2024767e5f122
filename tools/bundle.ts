/**
 * `deno task bundle [OUTDIR]`: tsbox's bundled build, in `dist/` by default.
 *
 * Loading ~180 source modules costs a Deno process ~0.2 ms each (a stat,
 * a read, a cache lookup and an instantiation per module): ~30 ms of every
 * `tsbox run`, ~15 ms more in the init it starts. Here main.ts and every
 * module tsbox loads on its own (tools/includes.ts: the command table's,
 * the lazy ones, the unpack worker) are bundled one by one, each with what
 * it imports statically, into the same tree of paths ending in `.js`
 * (lib/module_url.ts finds them there). A process then loads two files.
 * No code splitting: esbuild's shared chunks came to ~150 files for `run`.
 * Modules shared by two bundles exist once in each; lib/errors.ts keeps
 * `instanceof` working across the copies, `--keep-names` keeps the class
 * names it relies on.
 *
 * Writes OUTDIR/main.js and its entries, and two launchers: OUTDIR/tsbox
 * (the docker-style CLI) and OUTDIR/tsbox-runc (the OCI runtime). Needs
 * only Deno (its bundler is built in): works offline. The bundle is
 * written beside OUTDIR first and replaces it whole.
 * @module
 */

import { compileIncludes } from "./includes.ts";
import { fromFileUrl } from "../lib/url.ts";
import { join, relative, resolve } from "../lib/posix_path.ts";
import { DENO_RUN_ARGS } from "../lib/self.ts";

const REPO = fromFileUrl(new URL("../", import.meta.url));

/**
 * sh that sets `here` to the launcher's directory. A process only when the
 * launcher was reached through a symlink (a link on PATH): a `$(…)` forks,
 * and each start of tsbox and of tsbox-runc (containerd's and conmon's
 * calls) would pay ~1 ms for two. `sh tsbox` leaves $0 without a slash.
 */
export const SELF_DIR = `case $0 in */*) self=$0 ;; *) self=./$0 ;; esac
if [ -L "$self" ]; then self=$(readlink -f "$self"); fi
here=\${self%/*}`;

/** The launcher of the bundle at `$here/main.js`, for `args` before the caller's. */
function launcher(what: string, args: string): string {
  return `#!/bin/sh
# ${what}: tsbox's bundled build (tools/bundle.ts), main.js beside this script, under deno
${SELF_DIR}
if command -v deno >/dev/null 2>&1; then deno=deno; else deno=/usr/bin/deno; fi
# callers (containerd's shim, conmon) may run us with a minimal environment
: "\${HOME:=/root}"
export HOME
exec "$deno" run ${DENO_RUN_ARGS.join(" ")} "$here/main.js" ${args}"$@"
`;
}

/**
 * Bundle tsbox into `out` (absolute, or relative to the repository).
 * @throws {Error} deno bundle failed or left an entry out.
 */
export async function bundle(out: string): Promise<void> {
  const dir = resolve(REPO, out);
  const partial = `${dir}.partial`;
  removeIfThere(partial);
  const entries = ["main.ts", ...compileIncludes().map((u) => relative(REPO, fromFileUrl(u)))];
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      "--keep-names",
      "--outdir",
      partial,
      ...entries,
    ],
    cwd: REPO,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (!r.success) {
    Deno.stderr.writeSync(r.stderr);
    throw new Error("deno bundle failed (see above)");
  }
  const missing = entries.map((e) => e.replace(/\.ts$/, ".js")).filter((e) => {
    try {
      return !Deno.statSync(join(partial, e)).isFile;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return true;
      throw err;
    }
  });
  if (missing.length) throw new Error(`deno bundle wrote no ${missing.join(", ")}`);
  Deno.writeTextFileSync(join(partial, "tsbox"), launcher("tsbox", ""), { mode: 0o755 });
  Deno.writeTextFileSync(
    join(partial, "tsbox-runc"),
    launcher("tsbox as an OCI runtime with runc's command line", "__runc "),
    { mode: 0o755 },
  );
  removeIfThere(dir);
  Deno.renameSync(partial, dir);
}

function removeIfThere(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

if (import.meta.main) {
  const out = Deno.args[0] ?? "dist";
  try {
    await bundle(out);
  } catch (err) {
    console.error(`bundle: ${err instanceof Error ? err.message : err}`);
    Deno.exit(1);
  }
  console.log(`bundle: wrote ${out}/ (run it as ${out}/tsbox, or ${out}/tsbox-runc)`);
}
