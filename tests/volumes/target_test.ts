/**
 * Mount target resolution inside a rootfs dir: symlinks resolved as in a
 * chroot (never out of the rootfs), missing dirs/files created, type
 * mismatches refused, and the O_PATH pin that re-verifies the path.
 * Plain temp dirs: nothing is mounted.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { VolumeError } from "../../lib/errors.ts";
import { ensureTarget, pinTarget, resolveInRoot } from "../../volumes/target.ts";
import { exists } from "./_fixture.ts";

function withTree<T>(fn: (root: string, outside: string) => T): T {
  const base = Deno.makeTempDirSync({ prefix: "tsbox-target-" });
  try {
    const root = join(base, "rootfs");
    const outside = join(base, "outside");
    Deno.mkdirSync(join(root, "etc"), { recursive: true });
    Deno.mkdirSync(join(root, "usr/lib"), { recursive: true });
    Deno.mkdirSync(outside);
    Deno.writeTextFileSync(join(root, "etc/passwd"), "root:x:0:0::/:/bin/sh\n");
    Deno.symlinkSync("/etc", join(root, "data")); // absolute: means <root>/etc
    Deno.symlinkSync("usr/lib", join(root, "lib")); // relative
    Deno.symlinkSync(`../../../../../../..${outside}`, join(root, "evil")); // climbs: stops at root
    Deno.symlinkSync(outside, join(root, "abs-evil")); // absolute host path: re-rooted
    Deno.symlinkSync("loop", join(root, "loop"));
    Deno.symlinkSync("/etc", join(root, "usr/lib/etc-link")); // nested absolute: restarts at the rootfs
    return fn(root, outside);
  } finally {
    Deno.removeSync(base, { recursive: true }); // plain dirs only: nothing was mounted here
  }
}

Deno.test("resolveInRoot: symlinks resolve inside the rootfs like a chroot", () =>
  withTree((root, outside) => {
    assert.deepEqual(resolveInRoot(root, "/data"), ["etc"]);
    assert.deepEqual(resolveInRoot(root, "/data/sub/x"), ["etc", "sub", "x"]);
    assert.deepEqual(resolveInRoot(root, "/lib/mod"), ["usr", "lib", "mod"]);
    assert.deepEqual(resolveInRoot(root, "/usr/lib/etc-link/x"), ["etc", "x"]);
    assert.deepEqual(resolveInRoot(root, "/lib/etc-link/../usr"), ["usr"]);
    assert.deepEqual(resolveInRoot(root, "/evil/sub"), [
      ...outside.split("/").filter(Boolean),
      "sub",
    ]);
    assert.deepEqual(resolveInRoot(root, "/abs-evil"), outside.split("/").filter(Boolean));
    assert.throws(() => resolveInRoot(root, "/loop/x"), /too many levels of symbolic links/);
    assert.throws(() => resolveInRoot(root, "/etc/passwd/x"), /is not a directory/);
  }));

Deno.test("ensureTarget: creates missing dirs inside the rootfs, never at the host path", () =>
  withTree((root, outside) => {
    const r = ensureTarget(root, "/evil/sub", "dir");
    assert.equal(r.path, `${root}${outside}/sub`);
    assert.equal(r.existed, false);
    assert.ok(Deno.statSync(r.path).isDirectory);
    assert.equal(exists(join(outside, "sub")), false, "host dir untouched");
    assert.deepEqual([...Deno.readDirSync(outside)], []);

    const d = ensureTarget(root, "/data", "dir");
    assert.deepEqual(d, { path: `${root}/etc`, existed: true });
    const n = ensureTarget(root, "/new/deep/dir", "dir");
    assert.equal(n.existed, false);
    assert.equal((Deno.statSync(n.path).mode ?? 0) & 0o777, 0o755);
  }));

Deno.test("ensureTarget: file targets, and type mismatches are refused", () =>
  withTree((root) => {
    const f = ensureTarget(root, "/data/app.conf", "file");
    assert.equal(f.path, `${root}/etc/app.conf`);
    assert.ok(Deno.statSync(f.path).isFile);
    assert.equal(ensureTarget(root, "/etc/passwd", "file").existed, true);
    assert.throws(() => ensureTarget(root, "/etc/passwd", "dir"), (e: unknown) =>
      e instanceof VolumeError && /not a directory/.test((e as Error).message));
    assert.throws(() =>
      ensureTarget(root, "/usr", "file"), /is a directory/);
  }));

Deno.test("pinTarget: pins the resolved path; a symlink swapped in afterwards is refused", () =>
  withTree((root, outside) => {
    const realRoot = Deno.realPathSync(root);
    const r = ensureTarget(root, "/srv/app", "dir");
    const p = pinTarget(root, realRoot, r.path);
    try {
      assert.match(p.path, /^\/proc\/self\/fd\/\d+$/);
      assert.equal(Deno.readLinkSync(p.path), `${realRoot}/srv/app`);
    } finally {
      p.close();
    }
    // the race runc's CVE-2021-30465 is about: a component becomes a symlink to the host
    Deno.removeSync(join(root, "srv/app"));
    Deno.removeSync(join(root, "srv"));
    Deno.symlinkSync(outside, join(root, "srv"));
    Deno.mkdirSync(join(outside, "app"));
    // openat2(RESOLVE_NO_SYMLINKS) refuses it in the kernel (ELOOP); the /proc re-check is the second line
    assert.throws(
      () => pinTarget(root, realRoot, r.path),
      (e: unknown) =>
        e instanceof VolumeError && /changed while .*\(ELOOP\)/.test((e as Error).message),
    );
    assert.throws(() => pinTarget(root, realRoot, "/etc"), /outside/);
  }));
