/**
 * applyMounts for real, in a throwaway mount namespace (tests/volumes/
 * _ns_apply.ts in a child `deno run`): ro binds are really read-only, rw
 * binds write through to the host, copy-up fills new volumes only,
 * symlinks in the image cannot steer a mount out of the rootfs, tmpfs
 * options apply, a failure undoes its mounts — and nothing shows up in the
 * host's mountinfo. Requires root.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fromFileUrl } from "../../lib/url.ts";
import { pathsFor } from "../../lib/paths.ts";
import { makeBusyboxRootfs } from "../helpers/busybox.ts";
import { removeTree } from "../helpers/tsbox.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";
import { parseMountFlags, withImageVolumes } from "../../volumes/spec.ts";
import { prepareMounts } from "../../volumes/prepare.ts";
import { createVolume } from "../../volumes/store.ts";
import { exists, fakeId, mountsBelow } from "./_fixture.ts";

const SCRIPT = fromFileUrl(new URL("./_ns_apply.ts", import.meta.url));

Deno.test("applyMounts: real mounts in a private namespace, nothing leaks to the host", async () => {
  const base = Deno.makeTempDirSync({ prefix: "tsbox-nsapply-" });
  try {
    const k = new LinuxKernel();
    const paths = pathsFor(join(base, "state"));
    const [lower, upper, work, rootfs] = ["lower", "upper", "work", "merged"].map((d) =>
      join(base, d)
    );
    for (const d of [upper, work, rootfs]) Deno.mkdirSync(d);
    makeBusyboxRootfs(lower);
    // image content: owned dirs to copy up, a /data -> /etc link and links aiming at the host
    const evilHost = join(base, "evil-target");
    Deno.mkdirSync(evilHost);
    Deno.mkdirSync(join(lower, "srv/app/sub"), { recursive: true });
    Deno.writeTextFileSync(join(lower, "srv/app/config.yml"), "a: 1\n");
    Deno.writeTextFileSync(join(lower, "srv/app/sub/secret"), "s");
    Deno.chmodSync(join(lower, "srv/app/sub/secret"), 0o600);
    k.lchown(join(lower, "srv/app/sub/secret"), 1000, 1000);
    k.lchown(join(lower, "srv/app/sub"), 1000, 1000);
    Deno.chmodSync(join(lower, "srv/app"), 0o750);
    for (const d of ["opt/stuff", "opt/other", "var/lib/imgvol"]) {
      Deno.mkdirSync(join(lower, d), { recursive: true });
      Deno.writeTextFileSync(join(lower, d, "from-image"), "img");
    }
    Deno.symlinkSync("/etc", join(lower, "data"));
    Deno.symlinkSync(`../../../../../../../..${evilHost}`, join(lower, "evil"));
    Deno.symlinkSync(evilHost, join(lower, "abs"));

    const hostDir = join(base, "host");
    const roDir = join(base, "host-ro");
    Deno.mkdirSync(roDir);
    const hostFile = join(base, "app.conf");
    Deno.writeTextFileSync(hostFile, "conf-from-host");
    createVolume(paths, { name: "existing" });
    Deno.writeTextFileSync(join(paths.volumes, "existing/_data/precious"), "keep");
    createVolume(paths, { name: "linked" });
    Deno.writeTextFileSync(join(paths.volumes, "linked/_data/marker"), "via /data");

    const specs = withImageVolumes(
      parseMountFlags({
        volume: [
          "newvol:/srv/app",
          "existing:/opt/stuff",
          "nocp:/opt/other:nocopy",
          `${hostDir}:/hostbind`,
          `${roDir}:/robind:ro`,
          `${hostFile}:/etc/app.conf:ro`,
          "linked:/data",
          "evilvol:/evil/sub",
          "absvol:/abs",
        ],
        mount: ["type=tmpfs,dst=/scratch,tmpfs-size=2m"],
        tmpfs: ["/run/t:size=1m,mode=1777", "/scratch/inner"],
      }),
      ["/var/lib/imgvol"],
    );
    const mounts = prepareMounts(paths, fakeId("c"), specs);
    const failing = prepareMounts(
      paths,
      fakeId("d"),
      parseMountFlags({
        volume: [`${hostDir}:/undo1`, `${base}/vanishing:/undo2`],
        mount: [],
        tmpfs: [],
      }),
    );
    Deno.removeSync(join(base, "vanishing")); // bind source gone by the time the init mounts it
    const jobFile = join(base, "job.json");
    Deno.writeTextFileSync(
      jobFile,
      JSON.stringify({
        rootfs,
        lower,
        upper,
        work,
        mounts,
        failing,
        hostDir,
        volumes: paths.volumes,
      }),
    );

    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", SCRIPT, jobFile],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const r = JSON.parse(new TextDecoder().decode(out.stdout));

    assert.equal(r.roBindWrite, "EROFS");
    assert.ok(r.roBindOptions[0].split(",").includes("ro"));
    assert.equal(r.roFileWrite, "EROFS");
    assert.equal(r.fileBindContent, "conf-from-host");
    assert.equal(r.hostSeesWrite, "hello");
    // copy-up: same entries, owners and modes as the image dir
    assert.deepEqual(r.copiedVolume, r.imageDir);
    assert.deepEqual(r.copiedVolume["sub/secret"], [1000, 1000, 0o600]);
    assert.equal(r.copiedRootMode, 0o750, "the volume root takes the image dir's mode");
    assert.deepEqual(r.existingVolume, ["precious"], "a non-empty volume is not copied into");
    assert.deepEqual(r.nocopyVolume, []);
    assert.deepEqual(
      r.anonVolume,
      ["from-image"],
      "image VOLUME became a populated anonymous volume",
    );
    // /data -> /etc is resolved inside the rootfs
    assert.equal(r.dataLinkMarker, "via /data");
    assert.ok(r.mountTargets.includes(`${rootfs}/etc`));
    // links aiming at the host land under the rootfs
    assert.ok(r.mountTargets.includes(`${rootfs}${evilHost}/sub`));
    assert.ok(r.mountTargets.includes(`${rootfs}${evilHost}`));
    assert.ok(!r.mountTargets.some((t: string) => t === evilHost || t.startsWith(evilHost + "/")));
    // tmpfs
    const [fstype, opts, superOpts] = r.tmpfsRun[0];
    assert.equal(fstype, "tmpfs");
    for (const o of ["nosuid", "nodev", "noexec"]) {
      assert.ok(opts.split(",").includes(o), `${o} in ${opts}`);
    }
    assert.match(superOpts, /size=1024k/);
    assert.equal(r.tmpfsRunMode, 0o1777);
    assert.equal(r.tmpfsScratch[0][0], "tmpfs");
    assert.ok(!r.tmpfsScratch[0][1].split(",").includes("noexec"), "--mount tmpfs is not noexec");
    assert.match(r.tmpfsScratch[0][2], /size=2048k/);
    assert.equal(r.nestedAfterParent, true);
    // a failed apply names the mount and leaves none of its mounts behind
    assert.match(r.failing, /on \/undo2: no such file or directory/);
    assert.equal(r.undo1Created, true, "the first mount of the failing set was made…");
    assert.deepEqual(r.afterFailing, [], "…and undone");

    // back on the host: no mounts, the host paths behind the links untouched, data persisted
    assert.deepEqual(mountsBelow(base), []);
    assert.deepEqual([...Deno.readDirSync(evilHost)], []);
    assert.equal(Deno.readTextFileSync(join(hostDir, "from-container.txt")), "hello");
    assert.equal(Deno.readTextFileSync(join(paths.volumes, "newvol/_data/config.yml")), "a: 1\n");
    assert.equal(Deno.readTextFileSync(join(paths.volumes, "existing/_data/precious")), "keep");
    assert.equal(exists(join(paths.volumes, "existing/_data/from-image")), false);
  } finally {
    await removeTree(base); // refuses (fails the test) if anything is still mounted there
  }
});
