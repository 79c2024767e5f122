/**
 * Layer extraction with a fake kernel (no root needed): entry kinds, modes,
 * whiteouts, and the path-safety rules (nothing written outside the layer).
 */

import { assert, assertEquals, assertRejects, assertThrows } from "../helpers/assert.ts";
import { join } from "node:path";
import { extractLayer, LayerStream, xattrsOf } from "../../lib/image/unpack.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";
import { lgetxattr } from "../../ffi/xattr.ts";
import { zstdCompressSync } from "node:zlib";
import { entryComponents } from "../../lib/image/safe_path.ts";
import { ImageError } from "../../lib/errors.ts";
import { S_IFCHR, S_IFIFO } from "../../ffi/consts.ts";
import { FakeKernel } from "./_fake_kernel.ts";
import { buildTar, type Entry, gzip, sha256 } from "./_tar_builder.ts";

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
  await extractLayer(once(bytes), dest, kernel, "test layer");
  assertEquals(kernel.openFds, [], "every fd the extraction opened is closed");
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
    const nods = k.of("mknodat").map((c) => [c.path.slice(layer.length), c.args[0], c.args[1]]);
    assertEquals(nods, [["/dev/null", S_IFCHR | 0o666, 0x103n], [
      "/run/fifo",
      S_IFIFO | 0o644,
      0n,
    ]]);
    assert(
      k.of("fchownat").some((c) =>
        c.path.endsWith("home/user/file") && c.args[0] === 1000 && c.args[1] === 1000
      ),
    );
    // user xattrs are applied; overlay metadata is never taken from the tar
    assertEquals(k.xattrs().map(([, n, v]) => [n, v]), [["user.note", "hello"]]);
    // directory mtimes come after every child was written
    const times = k.of("utimensat").map((c) => c.path);
    assert(times.lastIndexOf(join(layer, "bin")) > times.indexOf(join(layer, "bin/tool")));
    assertEquals(
      k.of("utimensat").findLast((c) => c.path === join(layer, "bin"))?.args[1],
      1_000_000,
    );
    assertEquals(Deno.statSync(join(layer, "bin")).mtime?.getTime(), 1_000_000_000);
  });
});

Deno.test("extractLayer: whiteouts become 0:0 char devices and opaque dirs get both overlay xattrs", async () => {
  await withSandbox(async (layer) => {
    const k = await extract([
      { name: "etc/", type: "directory" },
      { name: "etc/.wh.motd" },
      { name: "var/cache/.wh..wh..opq" },
      { name: "var/cache/new", data: "n" },
      { name: ".wh..wh.plnk/", type: "directory" },
    ], layer);
    assertEquals(k.of("mknodat").map((c) => [c.path, c.args[0], c.args[1]]), [[
      join(layer, "etc/motd"),
      S_IFCHR,
      0n,
    ]]);
    // trusted.* for overlay mounts as root, user.* for userxattr (rootless, user namespace) mounts
    assertEquals(k.xattrs(), [
      [join(layer, "var/cache"), "trusted.overlay.opaque", "y"],
      [join(layer, "var/cache"), "user.overlay.opaque", "y"],
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

Deno.test("xattrsOf: reads SCHILY and LIBARCHIVE records, skips lossy and overlay (trusted and user) ones", () => {
  const x = xattrsOf({
    pax: {
      "SCHILY.xattr.user.a": "1",
      "LIBARCHIVE.xattr.security.capability": btoa(String.fromCharCode(1, 0, 0, 2, 0x80)),
      "SCHILY.xattr.user.bin": "\uFFFD",
      "SCHILY.xattr.trusted.overlay.redirect": "/x",
      "SCHILY.xattr.user.overlay.opaque": "y",
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
      () => extractLayer(once(junk), layer, new FakeKernel(), "junk"),
      ImageError,
      "not a valid tar archive",
    );
  });
});

async function* chunks(bytes: Uint8Array, step: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += step) yield bytes.slice(i, i + step);
}

const SMALL_LAYER: Entry[] = [
  { name: "etc/", type: "directory", mode: 0o755 },
  { name: "etc/hostname", data: "box\n" },
  { name: "bin/", type: "directory" },
  { name: "bin/big", data: new Uint8Array(300_000).map((_, i) => i * 7) },
  { name: "bin/sh", type: "symlink", linkname: "big" },
];

for (
  const [label, pack] of [
    ["gzip", (t: Uint8Array) => gzip(t)],
    ["zstd", (t: Uint8Array) => new Uint8Array(zstdCompressSync(t))],
    ["uncompressed", (t: Uint8Array) => t],
  ] as const
) {
  Deno.test(`LayerStream: a ${label} blob pushed in odd chunks extracts and yields the tar's sha256 and size`, async () => {
    await withSandbox(async (layer) => {
      const tar = await buildTar(SMALL_LAYER);
      const k = new FakeKernel();
      const s = new LayerStream(layer, k, "test layer");
      try {
        for await (const c of chunks(pack(tar), 1001)) await s.write(c);
        assertEquals(await s.end(), { diffId: sha256(tar), tarSize: tar.length });
      } finally {
        s.close();
      }
      assertEquals(k.openFds, []);
      assertEquals(Deno.readTextFileSync(join(layer, "etc/hostname")), "box\n");
      assertEquals(Deno.readFileSync(join(layer, "bin/big")), SMALL_LAYER[3].data);
      assertEquals(Deno.readLinkSync(join(layer, "bin/sh")), "big");
    });
  });
}

Deno.test("LayerStream: corrupt gzip is an ImageError naming the layer, and every fd is closed", async () => {
  await withSandbox(async (layer) => {
    const blob = gzip(await buildTar(SMALL_LAYER));
    blob.fill(0x55, 40, 4000);
    const k = new FakeKernel();
    const s = new LayerStream(layer, k, "layer sha256:abc");
    await assertRejects(
      async () => {
        for await (const c of chunks(blob, 512)) await s.write(c);
        await s.end();
      },
      ImageError,
      "layer sha256:abc: corrupt gzip data",
    );
    s.close();
    assertEquals(k.openFds, []);
  });
});

Deno.test("extractLayer: more directories than the fd cache keeps, their entries interleaved", async () => {
  await withSandbox(async (layer) => {
    const entries: Entry[] = [];
    for (let i = 0; i < 150; i++) entries.push({ name: `d${i}/`, type: "directory", mode: 0o750 });
    for (let i = 149; i >= 0; i--) entries.push({ name: `d${i}/sub/f`, data: `${i}` });
    for (let i = 0; i < 150; i += 7) entries.push({ name: `d${i}/g`, data: "g" });
    await extract(entries, layer);
    for (let i = 0; i < 150; i++) {
      assertEquals(Deno.readTextFileSync(join(layer, `d${i}/sub/f`)), `${i}`);
      assertEquals(Deno.statSync(join(layer, `d${i}`)).mode! & 0o777, 0o750);
      assertEquals(Deno.statSync(join(layer, `d${i}`)).mtime?.getTime(), 1_600_000_000_000);
    }
    assertEquals(Deno.readTextFileSync(join(layer, "d147/g")), "g");
    assertEquals(Deno.readTextFileSync(join(layer, "d0/g")), "g");
  });
});

Deno.test("extractLayer: a directory replaced by a file or a symlink is removed with its tree; nothing goes through it", async () => {
  await withSandbox(async (layer, outside) => {
    await extract([
      { name: "a/", type: "directory" },
      { name: "a/deep/x", data: "x" },
      { name: "a", data: "now a file" },
      { name: "b/", type: "directory" },
      { name: "b/y", data: "y" },
      { name: "b", type: "symlink", linkname: outside },
    ], layer);
    assertEquals(Deno.readTextFileSync(join(layer, "a")), "now a file");
    assertEquals(Deno.readLinkSync(join(layer, "b")), outside);
    for (const [name, why] of [["a/z", "not a directory"], ["b/z", "traverses the symlink b"]]) {
      await assertRejects(
        () =>
          extract([{ name: "a", data: "f" }, { name: "b", type: "symlink", linkname: outside }, {
            name,
            data: "z",
          }], layer),
        ImageError,
        why,
      );
    }
    assertEquals([...Deno.readDirSync(outside)], []);
  });
});

Deno.test("extractLayer: entries of one directory reuse its cached fd (no per-entry path walk)", async () => {
  await withSandbox(async (layer) => {
    const files = Array.from({ length: 100 }, (_, i) => ({ name: `a/b/c/d/f${i}`, data: "x" }));
    const k = await extract([{ name: "a/b/c/d/", type: "directory" }, ...files], layer);
    // the root; a, b, c made implicitly (a failed open, mkdirat, open); d by its entry (mkdirat,
    // open); then one openat per file and not one per path component
    assertEquals(k.of("openat").length, 1 + 3 * 2 + 1 + 100);
  });
});

Deno.test("extractLayer: a hardlink to a directory or to a missing file is refused", async () => {
  await withSandbox(async (layer) => {
    await assertRejects(
      () =>
        extract(
          [{ name: "d/", type: "directory" }, { name: "h", type: "link", linkname: "d" }],
          layer,
        ),
      ImageError,
      'hardlink to the directory "d"',
    );
    await assertRejects(
      () => extract([{ name: "h2", type: "link", linkname: "nope/x" }], layer),
      ImageError,
      "which is not in this layer",
    );
  });
});

Deno.test({
  name:
    "extractLayer (real kernel): opaque dirs carry trusted.overlay.opaque and user.overlay.opaque, whiteouts are 0:0, owners and setuid stay",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    await withSandbox(async (layer) => {
      const bytes = await buildTar([
        { name: "var/cache/.wh..wh..opq" },
        { name: "var/cache/keep", data: "k" },
        { name: "etc/.wh.motd" },
        { name: "usr/bin/su", data: "su", mode: 0o4755, uid: 0, gid: 42 },
        { name: "home/u/", type: "directory", mode: 0o700, uid: 1000, gid: 1000 },
        { name: "home/u/l", type: "symlink", linkname: "/nowhere", uid: 1000, gid: 1000 },
      ]);
      await extractLayer(once(bytes), layer, new LinuxKernel(), "test layer");
      const dec = (v?: Uint8Array) => v && new TextDecoder().decode(v);
      assertEquals(dec(lgetxattr(join(layer, "var/cache"), "trusted.overlay.opaque")), "y");
      assertEquals(dec(lgetxattr(join(layer, "var/cache"), "user.overlay.opaque")), "y");
      assertEquals(lgetxattr(join(layer, "var"), "user.overlay.opaque"), undefined);
      const wh = Deno.lstatSync(join(layer, "etc/motd"));
      assert(wh.isCharDevice && wh.rdev === 0, "whiteout is a 0:0 char device");
      const su = Deno.lstatSync(join(layer, "usr/bin/su"));
      assertEquals([su.mode! & 0o7777, su.uid, su.gid], [0o4755, 0, 42]);
      const home = Deno.lstatSync(join(layer, "home/u"));
      assertEquals([home.mode! & 0o7777, home.uid, home.gid], [0o700, 1000, 1000]);
      const l = Deno.lstatSync(join(layer, "home/u/l"));
      assertEquals([l.isSymlink, l.uid, l.gid], [true, 1000, 1000]);
    });
  },
});
