/**
 * copyUp with the real kernel on plain temp dirs (root: ownership, device
 * nodes): content, owners, modes, times, symlinks, hard links and fifos
 * are kept; a volume with content is never touched.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { LinuxKernel } from "../../ffi/kernel.ts";
import { copyUp } from "../../volumes/copy_up.ts";
import { exists } from "./_fixture.ts";

function withDirs<T>(fn: (img: string, volDir: string, data: string) => T): T {
  const base = Deno.makeTempDirSync({ prefix: "tsbox-copyup-" });
  try {
    const img = join(base, "img");
    const volDir = join(base, "vol");
    Deno.mkdirSync(img);
    Deno.mkdirSync(join(volDir, "_data"), { recursive: true });
    return fn(img, volDir, join(volDir, "_data"));
  } finally {
    Deno.removeSync(base, { recursive: true }); // plain dirs only: nothing was mounted here
  }
}

Deno.test("copyUp: a new volume gets the image dir's content with owners, modes and links", () =>
  withDirs((img, volDir, data) => {
    const k = new LinuxKernel();
    Deno.mkdirSync(join(img, "sub"));
    Deno.writeTextFileSync(join(img, "sub/app.conf"), "conf");
    Deno.chmodSync(join(img, "sub/app.conf"), 0o640);
    k.lchown(join(img, "sub/app.conf"), 1000, 50);
    Deno.chmodSync(join(img, "sub"), 0o750);
    k.lchown(join(img, "sub"), 1000, 1000);
    Deno.writeTextFileSync(join(img, "suid"), "#!/bin/sh\n");
    k.lchown(join(img, "suid"), 0, 0);
    Deno.chmodSync(join(img, "suid"), 0o4755);
    Deno.symlinkSync("sub/app.conf", join(img, "link"));
    k.lchown(join(img, "link"), 7, 8);
    Deno.linkSync(join(img, "sub/app.conf"), join(img, "hard"));
    new Deno.Command("mkfifo", { args: [join(img, "fifo")] }).outputSync();
    Deno.utimeSync(
      join(img, "sub/app.conf"),
      new Date(1_000_000_000_000),
      new Date(1_000_000_000_000),
    );
    Deno.chmodSync(img, 0o1777);
    k.lchown(img, 33, 33);

    assert.equal(copyUp(k, img, volDir, data), true);
    const st = (p: string) => Deno.lstatSync(join(data, p));
    assert.equal(Deno.readTextFileSync(join(data, "sub/app.conf")), "conf");
    assert.deepEqual([
      st("sub/app.conf").uid,
      st("sub/app.conf").gid,
      (st("sub/app.conf").mode ?? 0) & 0o7777,
    ], [1000, 50, 0o640]);
    assert.deepEqual([st("sub").uid, (st("sub").mode ?? 0) & 0o7777], [1000, 0o750]);
    assert.equal((st("suid").mode ?? 0) & 0o7777, 0o4755, "setuid survives the chown");
    assert.equal(Deno.readLinkSync(join(data, "link")), "sub/app.conf");
    assert.deepEqual([st("link").uid, st("link").gid], [7, 8]);
    assert.equal(st("hard").ino, st("sub/app.conf").ino, "hard links stay linked");
    assert.ok(st("fifo").isFifo);
    assert.equal(st("sub/app.conf").mtime?.getTime(), 1_000_000_000_000);
    // the volume root takes the image dir's owner and mode (docker's copyOwnership)
    assert.deepEqual([st("").uid, st("").gid, (st("").mode ?? 0) & 0o7777], [33, 33, 0o1777]);
    assert.deepEqual(
      [...Deno.readDirSync(volDir)].map((e) => e.name),
      ["_data"],
      "staging dir removed",
    );
  }));

Deno.test("copyUp: a volume with content is never touched", () =>
  withDirs((img, volDir, data) => {
    Deno.writeTextFileSync(join(img, "image-file"), "img");
    Deno.writeTextFileSync(join(data, "precious"), "mine");
    Deno.chmodSync(data, 0o700);
    assert.equal(copyUp(new LinuxKernel(), img, volDir, data), false);
    assert.deepEqual([...Deno.readDirSync(data)].map((e) => e.name), ["precious"]);
    assert.equal(Deno.readTextFileSync(join(data, "precious")), "mine");
    assert.equal((Deno.statSync(data).mode ?? 0) & 0o777, 0o700);
    assert.equal(exists(join(data, "image-file")), false);
  }));

Deno.test("copyUp: never follows or replaces an entry that appeared in the volume", () =>
  withDirs((img, volDir, data) => {
    Deno.mkdirSync(join(img, "etc"));
    Deno.writeTextFileSync(join(img, "etc/passwd"), "image");
    Deno.writeTextFileSync(join(img, "other"), "o");
    const outside = Deno.makeTempDirSync({ prefix: "tsbox-outside-" });
    try {
      // a racing container: after the emptiness check, it plants a symlink named like an entry
      class RacingKernel extends LinuxKernel {
        override lchown(p: string, u: number, g: number): void {
          if (!exists(join(data, "etc"))) Deno.symlinkSync(outside, join(data, "etc"));
          super.lchown(p, u, g);
        }
      }
      const racing = new RacingKernel();
      copyUp(racing, img, volDir, data);
      assert.equal(
        Deno.readLinkSync(join(data, "etc")),
        outside,
        "the planted link stays as it was",
      );
      assert.deepEqual([...Deno.readDirSync(outside)], [], "nothing written through it");
      assert.equal(Deno.readTextFileSync(join(data, "other")), "o");
    } finally {
      Deno.removeSync(outside, { recursive: true });
    }
  }));
