/**
 * The deterministic tar writer and the synchronous reader agree, and GNU
 * tar reads what the writer makes: long names (PAX path), binary xattr
 * values (raw PAX bytes), hard links, devices, big ids.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { padding, TAR_END, tarHeader } from "../../lib/image/tar_write.ts";
import { TarReaderSync } from "../../lib/copy/tar_sync.ts";
import { sh, withTemp } from "../helpers/registry.ts";

function archive(): Uint8Array {
  const longName = `${"d".repeat(120)}/${"f".repeat(90)}`;
  const body = new TextEncoder().encode("content\n");
  const parts = [
    tarHeader({ name: "dir/", typeflag: "5", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 10 }),
    tarHeader({
      name: longName,
      typeflag: "0",
      mode: 0o4755,
      uid: 3_000_000,
      gid: 5,
      size: body.length,
      mtime: 1_700_000_000,
      pax: [["SCHILY.xattr.security.capability", new Uint8Array([0, 0xff, 0x80, 10])]],
    }),
    body,
    new Uint8Array(padding(body.length)),
    tarHeader({
      name: "hard",
      typeflag: "1",
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 1,
      linkname: longName,
    }),
    tarHeader({
      name: "null",
      typeflag: "3",
      mode: 0o666,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 1,
      devmajor: 1,
      devminor: 3,
    }),
    TAR_END,
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

Deno.test("tarHeader: the same input gives the same bytes; the sync reader reads it back", () => {
  const a = archive();
  assert.deepEqual(a, archive());
  assert.equal(a.length % 512, 0);
  let pos = 0;
  const r = new TarReaderSync((buf) => {
    if (pos >= a.length) return null;
    const n = Math.min(buf.length, a.length - pos);
    buf.set(a.subarray(pos, pos + n));
    pos += n;
    return n;
  });
  const dir = r.next()!;
  assert.equal(dir.name, "dir/");
  assert.equal(dir.typeflag, "5");
  const f = r.next()!;
  assert.equal(f.name, `${"d".repeat(120)}/${"f".repeat(90)}`);
  assert.equal(f.uid, 3_000_000);
  assert.equal(f.mode, 0o4755);
  assert.equal(f.mtime, 1_700_000_000);
  assert.deepEqual(f.xattrs, [["security.capability", new Uint8Array([0, 0xff, 0x80, 10])]]);
  let content = "";
  r.body(f.size, (c) => (content += new TextDecoder().decode(c)));
  assert.equal(content, "content\n");
  const h = r.next()!;
  assert.equal(h.typeflag, "1");
  assert.equal(h.linkname, f.name);
  const dev = r.next()!;
  assert.deepEqual([dev.typeflag, dev.devmajor, dev.devminor], ["3", 1, 3]);
  assert.equal(r.next(), null);
});

Deno.test("tarHeader: GNU tar lists the archive as written", async () => {
  await withTemp(async (tmp) => {
    const file = join(tmp, "a.tar");
    Deno.writeFileSync(file, archive());
    const out = await sh("tar", ["--numeric-owner", "-tvf", file]);
    const lines = out.trim().split("\n");
    assert.equal(lines.length, 4);
    assert.match(lines[1], /^-rwsr-xr-x 3000000\/5 +8 2023-11-1\d \d\d:\d\d d{120}\/f{90}$/);
    assert.match(lines[2], /^h.* hard link to d{120}\/f{90}$/);
    assert.match(lines[3], /^crw-rw-rw- 0\/0 +1,\s*3 .* null$/);
  });
});
