import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { mountsUnder, safeRemoveTree } from "../../lib/safe_remove.ts";
import { FakeKernel } from "../fake_kernel.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";
import { TsboxError } from "../../lib/errors.ts";

const INFO = [
  "22 1 8:1 / / rw - ext4 /dev/vda rw",
  "30 22 0:5 / /var/lib/tsbox/c/a rw - tmpfs tmpfs rw",
  "31 30 0:6 / /var/lib/tsbox/c/a/deep\\040dir rw - tmpfs tmpfs rw",
  "32 22 0:7 / /var/lib/tsbox/cother rw - tmpfs tmpfs rw",
].join("\n");

Deno.test("mountsUnder: deepest first, exact prefix match, octal escapes decoded", () => {
  assertEquals(mountsUnder("/var/lib/tsbox/c", INFO), [
    "/var/lib/tsbox/c/a/deep dir",
    "/var/lib/tsbox/c/a",
  ]);
});

Deno.test("safeRemoveTree: unmounts first and refuses when a mount stays", () => {
  const dir = Deno.makeTempDirSync();
  Deno.mkdirSync(`${dir}/m`);
  const kernel = new LinuxKernel();
  kernel.mount("tmpfs", `${dir}/m`, "tmpfs", 0, null);
  Deno.writeTextFileSync(`${dir}/m/inside`, "x");
  let cleaned = false;
  try {
    // a kernel that cannot unmount: nothing may be deleted
    const fake = new FakeKernel();
    assertThrows(() => safeRemoveTree(fake, dir), TsboxError);
    assert(Deno.statSync(`${dir}/m/inside`).isFile);
    safeRemoveTree(kernel, dir);
    cleaned = true;
    assertThrows(() => Deno.statSync(dir), Deno.errors.NotFound);
  } finally {
    if (!cleaned) {
      kernel.umount2(`${dir}/m`, 2);
      Deno.removeSync(dir, { recursive: true });
    }
  }
});
