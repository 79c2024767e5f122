/** ffi/at.ts's lstatKind and statKind against Deno.lstatSync/statSync on the same paths. No root needed. */

import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { lstatKind, statKind } from "../../ffi/at.ts";
import { SyscallError } from "../../lib/errors.ts";

/** A temp dir holding a file `f` and links to it, to the dir and to nowhere; removed after. */
function withLinks(fn: (d: string) => void): void {
  const d = Deno.makeTempDirSync({ prefix: "tsbox-lstat-" });
  try {
    Deno.writeTextFileSync(`${d}/f`, "x");
    Deno.symlinkSync("f", `${d}/to-file`);
    Deno.symlinkSync("/nonexistent", `${d}/dangling`);
    Deno.symlinkSync(".", `${d}/to-dir`);
    fn(d);
  } finally {
    Deno.removeSync(d, { recursive: true });
  }
}

Deno.test("lstatKind: dir, file, symlink (dangling too, never followed), other, missing, ENOTDIR", () => {
  withLinks((d) => {
    const fifo = new Deno.Command("mkfifo", { args: [`${d}/fifo`] }).outputSync();
    assertEquals(fifo.success, true);
    assertEquals(lstatKind(d), "dir");
    assertEquals(lstatKind(`${d}/f`), "file");
    assertEquals(lstatKind(`${d}/to-file`), "symlink");
    assertEquals(lstatKind(`${d}/to-dir`), "symlink");
    assertEquals(lstatKind(`${d}/dangling`), "symlink");
    assertEquals(lstatKind(`${d}/fifo`), "other");
    assertEquals(lstatKind("/dev/null"), "other");
    assertEquals(lstatKind(`${d}/missing`), undefined);
    assertEquals(lstatKind(`${d}/missing/deeper`), undefined);
    const e = assertThrows(() => lstatKind(`${d}/f/below-a-file`), SyscallError);
    assertEquals(e.errnoName, "ENOTDIR");
    for (const p of ["f", "to-file", "to-dir", "dangling", "fifo"]) {
      const st = Deno.lstatSync(`${d}/${p}`);
      const want = st.isDirectory ? "dir" : st.isFile ? "file" : st.isSymlink ? "symlink" : "other";
      assertEquals(lstatKind(`${d}/${p}`), want, p);
    }
  });
});

Deno.test("statKind: follows symlinks as Deno.statSync does; a dangling one is missing", () => {
  withLinks((d) => {
    assertEquals(statKind(`${d}/to-file`), "file");
    assertEquals(statKind(`${d}/to-dir`), "dir");
    assertEquals(statKind(`${d}/to-dir/f`), "file");
    assertEquals(statKind(`${d}/dangling`), undefined);
    assertEquals(statKind(`${d}/missing`), undefined);
    assertEquals(assertThrows(() => statKind(`${d}/f/x`), SyscallError).errnoName, "ENOTDIR");
    for (const p of ["f", "to-file", "to-dir"]) {
      const st = Deno.statSync(`${d}/${p}`);
      assertEquals(statKind(`${d}/${p}`), st.isDirectory ? "dir" : "file", p);
    }
  });
});
