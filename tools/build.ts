/**
 * `deno task build`: compile tsbox into one executable `./tsbox`.
 *
 * `deno compile` needs the `denort` runtime for this platform; it downloads
 * it from Deno's servers unless `DENORT_BIN` names a local copy. Where
 * neither works (offline machines) the build fails with an explanation and
 * writes no binary: tests run the same code through `deno run`.
 * @module
 */

import { compileIncludes } from "./includes.ts";
import { fromFileUrl } from "../lib/url.ts";
import { V8_FLAGS } from "../lib/self.ts";

const out = Deno.args[0] ?? "tsbox";
const denort = Deno.env.get("DENORT_BIN");
if (denort) {
  try {
    Deno.statSync(denort);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    console.error(`build: DENORT_BIN=${denort} does not exist`);
    Deno.exit(1);
  }
}

// the command table and lib/lazy.ts import by computed specifiers, which compile does not
// follow, and the unpack worker is loaded by URL
const include = compileIncludes().flatMap((u) => ["--include", fromFileUrl(u)]);
const tmp = `${out}.partial`;
const r = await new Deno.Command(Deno.execPath(), {
  args: [
    "compile",
    "-A",
    `--v8-flags=${V8_FLAGS}`,
    ...include,
    "--output",
    tmp,
    "main.ts",
  ],
  stdout: "inherit",
  stderr: "piped",
}).output();
const err = new TextDecoder().decode(r.stderr);
if (!r.success) {
  Deno.stderr.writeSync(r.stderr);
  try {
    Deno.removeSync(tmp);
  } catch (e) {
    // nothing was written: the compile failed before producing output
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const offline = /dns error|lookup address|download|connect|network/i.test(err);
  console.error(
    offline
      ? `build: deno compile could not download its runtime (denort) from Deno's servers.\n` +
        `       Download denort for ${Deno.build.target} elsewhere and run: DENORT_BIN=/path/to/denort deno task build\n` +
        `       Until then use: deno run -A main.ts …  (tests do exactly that)`
      : "build: deno compile failed (see above)",
  );
  Deno.exit(1);
}
Deno.renameSync(tmp, out);
console.log(`build: wrote ./${out}${denort ? ` (runtime from DENORT_BIN=${denort})` : ""}`);
