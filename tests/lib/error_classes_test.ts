/**
 * `instanceof` for tsbox's errors across copies of lib/errors.ts, as the
 * bundled build has them (one copy per bundle file): an error made by one
 * copy is an instance of the other copy's classes of the same names, and of
 * no other. Two copies are made here by importing the module under two
 * URLs. And the names it goes by are unique across the code.
 */

import { assert, assertEquals } from "../helpers/assert.ts";
import * as one from "../../lib/errors.ts";
import { TarFormatError } from "../../lib/image/tar_parse.ts";

const other: typeof one = await import(new URL("../../lib/errors.ts?copy", import.meta.url).href);

Deno.test("errors: another copy's instances are instances by class name", () => {
  assert(one.TsboxError !== other.TsboxError, "the two imports must be two copies");
  const flag = new other.FlagError("bad flag");
  assert(flag instanceof one.FlagError);
  assert(flag instanceof one.UsageError);
  assert(flag instanceof one.TsboxError);
  assert(!(flag instanceof one.ImageError));
  assert(flag instanceof Error);
  assertEquals(one.commandExitCode("ps", flag), 125, "a flag error is docker's 125 in any command");
  const img = new other.ImageError("no such image");
  assert(img instanceof one.ImageError && img instanceof one.TsboxError);
  assert(!(img instanceof one.UsageError));
  assertEquals(one.commandExitCode("ps", img), 1);
  assertEquals(one.commandExitCode("run", img), 125);
});

Deno.test("errors: plain errors and look-alikes are not tsbox errors", () => {
  assert(!(new Error("x") instanceof one.TsboxError));
  for (const v of [null, undefined, "TsboxError", 125, {}]) {
    assert(!((v as unknown as object) instanceof one.TsboxError), `${v}`);
  }
  // a name alone does not make one: the class list is kept under a symbol
  const fake = Object.assign(new Error("x"), { name: "TsboxError" });
  assert(!(fake instanceof one.TsboxError));
});

Deno.test("errors: subclasses defined in other modules check by name too", () => {
  const e = new TarFormatError("layer.tar", "short header");
  assert(
    e instanceof one.ImageError && e instanceof other.ImageError && e instanceof other.TsboxError,
  );
  assert(e instanceof TarFormatError);
  assert(!(new other.ImageError("x") instanceof TarFormatError));
  const sys = new other.SyscallError("mount", 2, "ENOENT", "no such file or directory", "/x");
  assert(sys instanceof one.SyscallError && !(sys instanceof one.UsageError));
});

/** Every `class X extends Y` in the code, as X → Y. */
function classes(): { name: string; base: string; file: string }[] {
  const out: { name: string; base: string; file: string }[] = [];
  const walk = (dir: URL) => {
    for (const e of Deno.readDirSync(dir)) {
      const u = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
      if (e.isDirectory) walk(u);
      else if (e.name.endsWith(".ts")) {
        const text = Deno.readTextFileSync(u);
        for (const m of text.matchAll(/\bclass\s+(\w+)\s+extends\s+(\w+)/g)) {
          out.push({ name: m[1], base: m[2], file: u.pathname });
        }
      }
    }
  };
  for (const d of ["../../lib/", "../../ffi/", "../../volumes/"]) walk(new URL(d, import.meta.url));
  return out;
}

Deno.test("errors: every TsboxError class has a name no other class has", () => {
  const all = classes();
  const base = new Map(all.map((c) => [c.name, c.base]));
  const isTsbox = (n: string): boolean => {
    for (let c: string | undefined = n, i = 0; c && i < 20; c = base.get(c), i++) {
      if (c === "TsboxError") return true;
    }
    return false;
  };
  const tsboxClasses = all.filter((c) => isTsbox(c.name));
  assert(tsboxClasses.length > 10, `found only ${tsboxClasses.length} TsboxError classes`);
  const dup = tsboxClasses.filter((c) => all.filter((d) => d.name === c.name).length > 1);
  assertEquals(dup.map((d) => `${d.name} (${d.file})`), []);
});
