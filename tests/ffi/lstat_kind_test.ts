/** ffi/at.ts's lstatKind against Deno.lstatSync on the same paths. No root needed. */

import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { lstatKind } from "../../ffi/at.ts";
import { SyscallError } from "../../lib/errors.ts";

Deno.test("lstatKind: dir, file, symlink (dangling too, never followed), other, missing, ENOTDIR", () => {
  const d = Deno.makeTempDirSync({ prefix: "tsbox-lstat-" });
  try {
    Deno.writeTextFileSync(`${d}/f`, "x");
    Deno.symlinkSync("f", `${d}/to-file`);
    Deno.symlinkSync("/nonexistent", `${d}/dangling`);
    Deno.symlinkSync(".", `${d}/to-dir`);
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
  } finally {
    Deno.removeSync(d, { recursive: true });
  }
});
