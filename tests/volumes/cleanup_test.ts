/**
 * Volume removal: anonymous volumes of a removed container (never named
 * ones, never ones another container uses), `volume rm` refusals, prune,
 * and the remover's refusal to delete through a mount.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { VolumeError } from "../../lib/errors.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";
import { MNT_DETACH } from "../../ffi/consts.ts";
import { parseMountFlags } from "../../volumes/spec.ts";
import { prepareMounts } from "../../volumes/prepare.ts";
import { pruneVolumes, removeAnonymousVolumes, removeVolume } from "../../volumes/cleanup.ts";
import { createVolume, readVolume } from "../../volumes/store.ts";
import { containersUsing } from "../../volumes/usage.ts";
import { removeTreeNoMounts } from "../../volumes/remove_tree.ts";
import { exists, fakeId, mountsBelow, withPaths, writeFakeContainer } from "./_fixture.ts";

const A = fakeId("a"), B = fakeId("b");

Deno.test("removeAnonymousVolumes: removes the container's anonymous volumes only", () =>
  withPaths((paths) => {
    const mounts = prepareMounts(
      paths,
      A,
      parseMountFlags({ volume: ["/anon", "named1:/n"], mount: [], tmpfs: [] }),
    );
    writeFakeContainer(paths, A, mounts);
    const anon = mounts[0].volume!.name;
    Deno.writeTextFileSync(join(mounts[1].source, "keep"), "k");
    const removed = removeAnonymousVolumes(paths, mounts, A);
    assert.deepEqual(removed, [anon]);
    assert.equal(readVolume(paths, anon), undefined);
    assert.equal(
      Deno.readTextFileSync(join(mounts[1].source, "keep")),
      "k",
      "named volume untouched",
    );
  }));

Deno.test("removeAnonymousVolumes: a 'mount record' claiming anonymous cannot remove a named volume", () =>
  withPaths((paths) => {
    createVolume(paths, { name: "named2" });
    const forged = [{
      type: "volume",
      source: "",
      target: "/x",
      readOnly: false,
      propagation: "rprivate",
      targetKind: "dir",
      volume: { name: "named2", dir: "", anonymous: true, created: true, copyUp: true },
    }];
    assert.deepEqual(removeAnonymousVolumes(paths, forged), []);
    assert.ok(readVolume(paths, "named2"));
  }));

Deno.test("removeAnonymousVolumes: kept while another container uses it", () =>
  withPaths((paths) => {
    const mounts = prepareMounts(
      paths,
      A,
      parseMountFlags({ volume: ["/anon"], mount: [], tmpfs: [] }),
    );
    const name = mounts[0].volume!.name;
    writeFakeContainer(paths, A, mounts);
    const other = prepareMounts(
      paths,
      B,
      parseMountFlags({ volume: [`${name}:/reuse`], mount: [], tmpfs: [] }),
    );
    writeFakeContainer(paths, B, other, "running");
    assert.deepEqual(containersUsing(paths, name).sort(), [A, B]);
    assert.deepEqual(removeAnonymousVolumes(paths, mounts, A), []);
    assert.ok(readVolume(paths, name));
  }));

Deno.test("removeVolume: in use (running or stopped) is refused even with force; force ignores missing", () =>
  withPaths((paths) => {
    const m = prepareMounts(
      paths,
      A,
      parseMountFlags({ volume: ["used:/u"], mount: [], tmpfs: [] }),
    );
    writeFakeContainer(paths, A, m, "exited");
    for (const force of [false, true]) {
      assert.throws(() => removeVolume(paths, "used", force), (err: unknown) => {
        assert.ok(err instanceof VolumeError);
        assert.equal((err as Error).message, `remove used: volume is in use - [${A}]`);
        return true;
      });
    }
    assert.ok(readVolume(paths, "used"));
    assert.throws(() => removeVolume(paths, "nope"), /No such volume: nope/);
    assert.equal(removeVolume(paths, "nope", true), false);
    createVolume(paths, { name: "free" });
    assert.equal(removeVolume(paths, "free"), true);
    assert.equal(exists(join(paths.volumes, "free")), false);
  }));

Deno.test("pruneVolumes: anonymous unused only, or all unused with all; reports bytes", () =>
  withPaths((paths) => {
    const used = prepareMounts(
      paths,
      A,
      parseMountFlags({ volume: ["/anon-used"], mount: [], tmpfs: [] }),
    );
    writeFakeContainer(paths, A, used);
    const unused = prepareMounts(
      paths,
      B,
      parseMountFlags({ volume: ["/anon-unused"], mount: [], tmpfs: [] }),
    );
    Deno.writeTextFileSync(join(unused[0].source, "f"), "12345");
    createVolume(paths, { name: "named-unused" });
    Deno.mkdirSync(join(paths.volumes, ".trash-0123456789abcdef", "_data"), { recursive: true }); // crash leftover

    const r1 = pruneVolumes(paths, false);
    assert.deepEqual(r1.removed, [unused[0].volume!.name]);
    assert.equal(r1.reclaimed, 5);
    assert.ok(readVolume(paths, "named-unused"));
    assert.equal(exists(join(paths.volumes, ".trash-0123456789abcdef")), false);

    const r2 = pruneVolumes(paths, true);
    assert.deepEqual(r2.removed, ["named-unused"]);
    assert.ok(readVolume(paths, used[0].volume!.name), "a used volume is never pruned");
  }));

Deno.test("removeTreeNoMounts: refuses a tree with a mount inside and deletes nothing", () =>
  withPaths((paths, root) => {
    const kernel = new LinuxKernel();
    createVolume(paths, { name: "mnt" });
    const data = join(paths.volumes, "mnt", "_data");
    Deno.mkdirSync(join(data, "sub"));
    Deno.writeTextFileSync(join(data, "keep"), "k");
    Deno.mkdirSync(join(root, "elsewhere"));
    Deno.writeTextFileSync(join(root, "elsewhere", "host-file"), "h");
    kernel.mount(join(root, "elsewhere"), join(data, "sub"), null, 4096 /* MS_BIND */);
    try {
      assert.throws(() => removeVolume(paths, "mnt"), /is a mount point/);
      assert.throws(() => removeTreeNoMounts(join(paths.volumes, "mnt")), /is a mount point/);
      assert.equal(Deno.readTextFileSync(join(data, "keep")), "k");
      assert.ok(readVolume(paths, "mnt"), "the volume keeps its name");
    } finally {
      kernel.umount2(join(data, "sub"), MNT_DETACH);
    }
    assert.deepEqual(mountsBelow(root), []);
    assert.equal(Deno.readTextFileSync(join(root, "elsewhere", "host-file")), "h");
    assert.equal(removeVolume(paths, "mnt"), true);
  }));
