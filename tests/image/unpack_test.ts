/**
 * Layer extraction with a fake kernel (no root needed): entry kinds, modes,
 * whiteouts, and the path-safety rules (nothing written outside the layer).
 */

import { assert, assertEquals, assertRejects, assertThrows } from "../helpers/assert.ts";
import { join } from "node:path";
import { extractLayer, xattrsOf } from "../../lib/image/unpack.ts";
import { readTar } from "../../lib/image/tar_read.ts";
import { entryComponents } from "../../lib/image/safe_path.ts";
import { ImageError } from "../../lib/errors.ts";
import { S_IFCHR, S_IFIFO } from "../../ffi/consts.ts";
import { FakeKernel } from "./_fake_kernel.ts";
import { buildTar, type Entry } from "./_tar_builder.ts";

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  // split in odd chunks so entry boundaries do not line up with reads
  for (let i = 0; i < bytes.length; i += 777) yield bytes.subarray(i, i + 777);
}

async function extract(
  entries: Entry[],
  dest: string,
  kernel = new FakeKernel(),
): Promise<FakeKernel> {
  const bytes = await buildTar(entries);
  await extractLayer(readTar(once(bytes), "test"), dest, kernel, "test layer");
  return kernel;
}

/** A sandbox: `layer/` to extract into and `outside/` that must stay empty. */
async function withSandbox(fn: (layer: string, outside: string) => Promise<void>): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-unpack-" });
  try {
    Deno.mkdirSync(join(dir, "layer"));
    Deno.mkdirSync(join(dir, "outside"));
    await fn(join(dir, "layer"), join(dir, "outside"));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("entryComponents: normalises ./ and rejects .. and absolute names", () => {
  assertEquals(entryComponents("./a//b/./c/", "t"), ["a", "b", "c"]);
  assertEquals(entryComponents("./", "t"), []);
  assertThrows(() => entryComponents("../x", "t"), ImageError, "'..'");
  assertThrows(() => entryComponents("a/../../x", "t"), ImageError, "'..'");
  assertThrows(() => entryComponents("/etc/passwd", "t"), ImageError, "absolute");
});

Deno.test("extractLayer: files, dirs, symlinks, hardlinks, devices, modes and owners", async () => {
  await withSandbox(async (layer) => {
    const k = await extract([
      { name: "./", type: "directory", mode: 0o755 },
      { name: "bin/", type: "directory", mode: 0o755, mtime: new Date(1_000_000_000) },
      { name: "bin/tool", data: "#!/bin/sh\necho hi\n", mode: 0o4755, uid: 0, gid: 0 },
      { name: "bin/alias", type: "symlink", linkname: "tool" },
      { name: "bin/hard", type: "link", linkname: "bin/tool" },
      { name: "tmp/", type: "directory", mode: 0o1777 },
      { name: "home/user/file", data: "x", uid: 1000, gid: 1000, mode: 0o600 },
      { name: "dev/null", type: "character-device", devmajor: 1, devminor: 3, mode: 0o666 },
      { name: "run/fifo", type: "fifo", mode: 0o644 },
      {
        name: "etc/cap",
        data: "c",
        pax: { "SCHILY.xattr.user.note": "hello", "SCHILY.xattr.trusted.overlay.opaque": "y" },
      },
    ], layer);
    assertEquals(Deno.readTextFileSync(join(layer, "bin/tool")), "#!/bin/sh\necho hi\n");
    assertEquals(Deno.statSync(join(layer, "bin/tool")).mode! & 0o7777, 0o4755);
    assertEquals(Deno.statSync(join(layer, "tmp")).mode! & 0o7777, 0o1777);
    assertEquals(Deno.statSync(join(layer, "home/user/file")).mode! & 0o7777, 0o600);
    assertEquals(Deno.readLinkSync(join(layer, "bin/alias")), "tool");
    assertEquals(
      Deno.statSync(join(layer, "bin/hard")).ino,
      Deno.statSync(join(layer, "bin/tool")).ino,
    );
    // directories created implicitly get 0755
    assertEquals(Deno.statSync(join(layer, "home")).mode! & 0o7777, 0o755);
    const nods = k.of("mknod").map((c) => [c.path.slice(layer.length), c.args[0], c.args[1]]);
    assertEquals(nods, [["/dev/null", S_IFCHR | 0o666, 0x103n], [
      "/run/fifo",
      S_IFIFO | 0o644,
      0n,
    ]]);
    assert(
      k.of("lchown").some((c) =>
        c.path.endsWith("home/user/file") && c.args[0] === 1000 && c.args[1] === 1000
      ),
    );
    // user xattrs are applied; overlay metadata is never taken from the tar
    assertEquals(k.of("lsetxattr").map((c) => [c.args[0], c.args[1]]), [["user.note", "hello"]]);
    // directory mtimes come after every child was written
    const times = k.of("lutimes").map((c) => c.path);
    assert(times.lastIndexOf(join(layer, "bin")) > times.indexOf(join(layer, "bin/tool")));
    assertEquals(k.of("lutimes").find((c) => c.path === join(layer, "bin"))?.args[1], 1_000_000);
  });
});

Deno.test("extractLayer: whiteouts become 0:0 char devices and opaque dirs get the overlay xattr", async () => {
  await withSandbox(async (layer) => {
    const k = await extract([
      { name: "etc/", type: "directory" },
      { name: "etc/.wh.motd" },
      { name: "var/cache/.wh..wh..opq" },
      { name: "var/cache/new", data: "n" },
      { name: ".wh..wh.plnk/", type: "directory" },
    ], layer);
    assertEquals(k.of("mknod").map((c) => [c.path, c.args[0], c.args[1]]), [[
      join(layer, "etc/motd"),
      S_IFCHR,
      0n,
    ]]);
    assertEquals(k.of("lsetxattr").map((c) => [c.path, c.args[0], c.args[1]]), [
      [join(layer, "var/cache"), "trusted.overlay.opaque", "y"],
    ]);
    assert(!Deno.readDirSync(layer).some((e) => e.name.startsWith(".wh.")));
    assertEquals(Deno.readTextFileSync(join(layer, "var/cache/new")), "n");
  });
});

const MALICIOUS: [string, (outside: string) => Entry[]][] = [
  ["../x", () => [{ name: "../x", data: "evil" }]],
  ["/abs", (o) => [{ name: `${o}/abs`, data: "evil" }]],
  [
    "symlink out then through it",
    (o) => [{ name: "a", type: "symlink", linkname: o }, { name: "a/file", data: "evil" }],
  ],
  [
    "symlink inside then through it",
    () => [{ name: "d/", type: "directory" }, { name: "b", type: "symlink", linkname: "d" }, {
      name: "b/file",
      data: "x",
    }],
  ],
  [
    "hardlink to ../../etc/passwd",
    () => [{ name: "p", type: "link", linkname: "../../etc/passwd" }],
  ],
  ["hardlink to absolute path", () => [{ name: "p", type: "link", linkname: "/etc/passwd" }]],
  [
    "hardlink through a symlink",
    () => [{ name: "etc", type: "symlink", linkname: "/etc" }, {
      name: "p",
      type: "link",
      linkname: "etc/passwd",
    }],
  ],
  [
    "whiteout through a symlink",
    (o) => [{ name: "w", type: "symlink", linkname: o }, { name: "w/.wh.x" }],
  ],
  [
    "opaque through a symlink",
    (o) => [{ name: "w", type: "symlink", linkname: o }, { name: "w/.wh..wh..opq" }],
  ],
];

for (const [label, make] of MALICIOUS) {
  Deno.test(`extractLayer: rejects ${label} and writes nothing outside`, async () => {
    await withSandbox(async (layer, outside) => {
      const k = new FakeKernel();
      const err = await assertRejects(
        () => extract(make(outside), layer, k),
        ImageError,
        "refusing tar entry",
      );
      assert(err.message.includes('"'), "names the entry");
      assertEquals([...Deno.readDirSync(outside)], []);
      assert(
        k.calls.every((c) => c.path.startsWith(layer + "/") || c.path === layer),
        "no kernel call outside",
      );
    });
  });
}

Deno.test("extractLayer: a symlink that is replaced by a later directory entry is not followed", async () => {
  await withSandbox(async (layer, outside) => {
    await extract([
      { name: "a", type: "symlink", linkname: outside },
      { name: "a/", type: "directory" },
      { name: "a/f", data: "inside" },
    ], layer);
    assertEquals(Deno.readTextFileSync(join(layer, "a/f")), "inside");
    assertEquals([...Deno.readDirSync(outside)], []);
  });
});

Deno.test("xattrsOf: reads SCHILY and LIBARCHIVE records, skips lossy and overlay ones", () => {
  const x = xattrsOf({
    pax: {
      "SCHILY.xattr.user.a": "1",
      "LIBARCHIVE.xattr.security.capability": btoa(String.fromCharCode(1, 0, 0, 2, 0x80)),
      "SCHILY.xattr.user.bin": "\uFFFD",
      "SCHILY.xattr.trusted.overlay.redirect": "/x",
      "mtime": "1.5",
    },
  });
  assertEquals(x.map(([n, v]) => [n, [...v]]), [["user.a", [0x31]], ["security.capability", [
    1,
    0,
    0,
    2,
    0x80,
  ]]]);
});

Deno.test("readTar: garbage input is a clear ImageError", async () => {
  await withSandbox(async (layer) => {
    const junk = new TextEncoder().encode("this is not a tar archive ".repeat(40));
    await assertRejects(
      () => extractLayer(readTar(once(junk), "junk"), layer, new FakeKernel(), "junk"),
      ImageError,
      "not a valid tar archive",
    );
  });
});
