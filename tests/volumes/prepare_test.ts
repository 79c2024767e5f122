/**
 * prepareMounts: volumes created on first use (named, anonymous), -v host
 * dirs created, --mount bind sources required, and on any failure nothing
 * this call created is left behind. Runs as root in a temp state root.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { VolumeError } from "../../lib/errors.ts";
import { parseMountFlags, withImageVolumes } from "../../volumes/spec.ts";
import { prepareMounts } from "../../volumes/prepare.ts";
import { createVolume, listVolumes, readVolume } from "../../volumes/store.ts";
import { exists, fakeId, withPaths } from "./_fixture.ts";

const ID = fakeId("a");

Deno.test("prepareMounts: creates named and anonymous volumes and missing -v host dirs", () =>
  withPaths((paths, root) => {
    Deno.writeTextFileSync(join(root, "file.conf"), "x");
    const specs = withImageVolumes(
      parseMountFlags({
        volume: ["data1:/data:ro", `${root}/host/a/b:/hb`, `${root}/file.conf:/etc/app.conf`],
        mount: ["type=tmpfs,dst=/t,tmpfs-size=1m"],
        tmpfs: [],
      }),
      ["/var/lib/img"],
    );
    const prepared = prepareMounts(paths, ID, specs);
    assert.equal(prepared.length, 5);
    const [named, bind, fileBind, tmpfs, anon] = prepared;

    assert.equal(named.type, "volume");
    assert.equal(named.source, join(paths.volumes, "data1", "_data"));
    assert.equal(named.readOnly, true);
    assert.deepEqual(named.volume, {
      name: "data1",
      dir: join(paths.volumes, "data1"),
      anonymous: false,
      created: true,
      copyUp: true,
    });
    assert.ok(Deno.statSync(named.source).isDirectory);
    const meta = readVolume(paths, "data1")!.meta;
    assert.equal(meta.Anonymous, false);
    assert.match(meta.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    assert.equal(bind.source, `${root}/host/a/b`);
    assert.ok(Deno.statSync(bind.source).isDirectory, "-v creates a missing host dir");
    assert.equal((Deno.statSync(bind.source).mode ?? 0) & 0o777, 0o755);
    assert.equal(bind.targetKind, "dir");
    assert.equal(fileBind.targetKind, "file");

    assert.equal(tmpfs.type, "tmpfs");
    assert.deepEqual(tmpfs.tmpfsOptions, ["nosuid", "nodev", "size=1048576"]);

    assert.match(anon.volume!.name, /^[0-9a-f]{64}$/);
    assert.equal(anon.volume!.anonymous, true);
    assert.equal(readVolume(paths, anon.volume!.name)!.meta.Anonymous, true);
    assert.equal(anon.target, "/var/lib/img");

    // JSON round trip: what the lead stores in container.json and sends to the init
    assert.deepEqual(JSON.parse(JSON.stringify(prepared)), prepared);
  }));

Deno.test("prepareMounts: an existing volume is reused, not recreated; nocopy is recorded", () =>
  withPaths((paths) => {
    createVolume(paths, { name: "keep", labels: { a: "1" } });
    Deno.writeTextFileSync(join(paths.volumes, "keep", "_data", "precious"), "data");
    const [m] = prepareMounts(
      paths,
      ID,
      parseMountFlags({ volume: ["keep:/k:nocopy"], mount: [], tmpfs: [] }),
    );
    assert.equal(m.volume!.created, false);
    assert.equal(m.volume!.copyUp, false);
    assert.equal(Deno.readTextFileSync(join(m.source, "precious")), "data");
    assert.deepEqual(readVolume(paths, "keep")!.meta.Labels, { a: "1" });
  }));

Deno.test("prepareMounts: a missing --mount bind source fails before anything is created", () =>
  withPaths((paths, root) => {
    const specs = parseMountFlags({
      volume: ["newvol:/n", `${root}/made/by/v:/v`, "/anon"],
      mount: [`type=bind,source=${root}/missing,target=/m`],
      tmpfs: [],
    });
    assert.throws(() => prepareMounts(paths, ID, specs), (err: unknown) => {
      assert.ok(err instanceof VolumeError);
      assert.match((err as Error).message, /bind source path does not exist: .*\/missing/);
      return true;
    });
    assert.equal(exists(join(paths.volumes, "newvol")), false, "no volume dir");
    assert.deepEqual(listVolumes(paths), [], "no anonymous volume either");
    assert.equal(exists(join(root, "made")), false, "no host dir");
  }));

Deno.test("prepareMounts: a failure half-way undoes the volumes and dirs it created", () =>
  withPaths((paths, root) => {
    Deno.writeTextFileSync(join(root, "afile"), "x");
    createVolume(paths, { name: "old" });
    const specs = parseMountFlags({
      // the third needs a dir below a regular file: mkdir fails after the first two were made
      volume: ["fresh:/f", `${root}/newdir/sub:/n`, "old:/o", `${root}/afile/sub:/bad`],
      mount: [],
      tmpfs: [],
    });
    assert.throws(() => prepareMounts(paths, ID, specs));
    assert.equal(exists(join(paths.volumes, "fresh")), false, "created volume removed again");
    assert.equal(exists(join(root, "newdir")), false, "created host dirs removed again");
    assert.ok(readVolume(paths, "old"), "a volume that existed before is kept");
    assert.equal(Deno.readTextFileSync(join(root, "afile")), "x");
  }));

Deno.test("prepareMounts: undo never deletes a host dir that got content", () =>
  withPaths((paths, root) => {
    // the -v dir exists with content already: prepare must not consider it its own
    Deno.mkdirSync(join(root, "hostdata"));
    Deno.writeTextFileSync(join(root, "hostdata", "keep"), "k");
    Deno.writeTextFileSync(join(root, "afile"), "x");
    const specs = parseMountFlags({
      volume: [`${root}/hostdata:/h`, `${root}/afile/x:/bad`],
      mount: [],
      tmpfs: [],
    });
    assert.throws(() => prepareMounts(paths, ID, specs));
    assert.equal(Deno.readTextFileSync(join(root, "hostdata", "keep")), "k");
  }));

Deno.test("prepareMounts: a volume dir without metadata is refused, not adopted", () =>
  withPaths((paths) => {
    Deno.mkdirSync(join(paths.volumes, "foreign", "_data"), { recursive: true });
    assert.throws(
      () =>
        prepareMounts(paths, ID, parseMountFlags({ volume: ["foreign:/x"], mount: [], tmpfs: [] })),
      /has no volume.json/,
    );
    assert.ok(exists(join(paths.volumes, "foreign", "_data")));
  }));

Deno.test("prepareMounts: local-driver option volumes mount their device", () =>
  withPaths((paths, root) => {
    Deno.mkdirSync(join(root, "dev-dir"));
    createVolume(paths, {
      name: "bound",
      options: { type: "none", o: "bind", device: join(root, "dev-dir") },
    });
    createVolume(paths, {
      name: "tmpv",
      options: { type: "tmpfs", device: "tmpfs", o: "size=1m" },
    });
    const [b, t] = prepareMounts(
      paths,
      ID,
      parseMountFlags({ volume: ["bound:/b", "tmpv:/t"], mount: [], tmpfs: [] }),
    );
    assert.equal(b.source, join(root, "dev-dir"));
    assert.equal(b.fs, undefined);
    assert.equal(b.volume!.copyUp, false);
    assert.deepEqual(t.fs, { type: "tmpfs", options: ["size=1m"] });
    createVolume(paths, {
      name: "gone",
      options: { type: "none", o: "bind", device: join(root, "nope") },
    });
    assert.throws(
      () =>
        prepareMounts(paths, ID, parseMountFlags({ volume: ["gone:/g"], mount: [], tmpfs: [] })),
      /does not exist/,
    );
  }));
