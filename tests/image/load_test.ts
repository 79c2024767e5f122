/**
 * `tsbox load` of docker-archive and OCI-layout archives (built here, and
 * by umoci), checked down to the unpacked tree: whiteouts as 0:0 char
 * devices, the opaque xattr, modes, owners, hardlinks — and through a real
 * overlay mount. Runs as root.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { join } from "node:path";
import { hasCommand, tsbox, withRoot } from "../helpers/tsbox.ts";
import { pathsFor } from "../../lib/paths.ts";
import { ImageStore } from "../../lib/image/store.ts";
import { lgetxattr } from "../../ffi/xattr.ts";
import { dockerArchive, makeImage, ociArchive } from "./_archives.ts";
import { makeBusyboxRootfs } from "../helpers/busybox.ts";

function run(cmd: string, args: string[], cwd?: string): string {
  const r = new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).outputSync();
  const dec = new TextDecoder();
  if (!r.success) throw new Error(`${cmd} ${args.join(" ")} failed: ${dec.decode(r.stderr)}`);
  return dec.decode(r.stdout);
}

/** Mount the layers as an overlay (read-only lower stack) and run `fn` on the merged dir. */
function withOverlay(layerDirs: string[], fn: (merged: string) => void): void {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-ovl-" });
  const merged = join(dir, "m");
  Deno.mkdirSync(merged);
  run("mount", [
    "-t",
    "overlay",
    "overlay",
    "-o",
    `lowerdir=${[...layerDirs].reverse().join(":")}`,
    merged,
  ]);
  try {
    fn(merged);
  } finally {
    run("umount", [merged]);
    Deno.removeSync(dir, { recursive: true });
  }
}

function checkTree(dirs: string[]): void {
  const [l1, l2, l3] = dirs;
  const wh = Deno.lstatSync(join(l2, "etc/motd"));
  assert(wh.isCharDevice, "whiteout is a char device");
  assertEquals(wh.rdev, 0);
  assertEquals(
    new TextDecoder().decode(lgetxattr(join(l2, "var/cache"), "trusted.overlay.opaque")),
    "y",
  );
  assertEquals(lgetxattr(join(l1, "var/cache"), "trusted.overlay.opaque"), undefined);
  assertEquals(Deno.lstatSync(join(l1, "bin/tool")).mode! & 0o7777, 0o4755);
  assertEquals(Deno.readLinkSync(join(l1, "bin/alias")), "tool");
  const dev = Deno.lstatSync(join(l1, "dev/null"));
  assert(dev.isCharDevice);
  assertEquals(dev.rdev, (1 << 8) | 3);
  const home = Deno.lstatSync(join(l1, "home/user"));
  assertEquals([home.uid, home.gid, home.mode! & 0o7777], [1000, 1000, 0o700]);
  assertEquals(
    Deno.lstatSync(join(l3, "srv/data-link")).ino,
    Deno.lstatSync(join(l3, "srv/data")).ino,
  );
  withOverlay(dirs, (m) => {
    assertEquals([...Deno.readDirSync(join(m, "etc"))].map((e) => e.name).sort(), ["passwd"]);
    assertEquals([...Deno.readDirSync(join(m, "var/cache"))].map((e) => e.name), ["new"]);
    assertEquals(Deno.readTextFileSync(join(m, "srv/data")), "layer three");
  });
}

Deno.test("load: docker-archive with whiteout and opaque dir across 3 layers", async () => {
  await withRoot(async (root) => {
    const img = await makeImage();
    const file = join(root, "app.tar");
    Deno.writeFileSync(file, await dockerArchive(img, ["example.com/app:1", "app:latest"]));
    const r = await tsbox(root, ["load", "-i", file]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "Loaded image: example.com/app:1\nLoaded image: app:latest\n");
    const store = new ImageStore(pathsFor(root));
    const res = store.lookup("app")!;
    assertEquals(res.id, img.id);
    assertEquals(res.config.Cmd, ["/bin/tool"]);
    assertEquals(res.layerDirs.length, 3);
    assertEquals(store.lookup("example.com/app:1")?.id, img.id);
    checkTree(res.layerDirs);
    // the staging area and the lease are gone
    assertEquals(
      [...Deno.readDirSync(store.layout.blobDir)].filter((e) => e.name.startsWith(".")),
      [],
    );
    assertEquals([...Deno.readDirSync(store.layout.leaseDir)], []);
  });
});

Deno.test("load: OCI layout from stdin, named by annotation, layers shared with an earlier load", async () => {
  await withRoot(async (root) => {
    const img = await makeImage();
    const docker = join(root, "d.tar");
    Deno.writeFileSync(docker, await dockerArchive(img, ["first:1"]));
    const quiet = await tsbox(root, ["load", "-q", "-i", docker]);
    assertEquals([quiet.code, quiet.stdout], [0, "Loaded image: first:1\n"]); // docker: -q still names it
    const oci = await ociArchive(img, {
      "io.containerd.image.name": "registry.local:5000/team/app:2",
      "org.opencontainers.image.ref.name": "2",
    });
    const r = await tsbox(root, ["load"], { stdin: oci });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "Loaded image: registry.local:5000/team/app:2\n");
    const store = new ImageStore(pathsFor(root));
    const res = store.lookup("registry.local:5000/team/app:2")!;
    checkTree(res.layerDirs);
    // gzip blobs differ from the uncompressed ones, but unpack to the same 3 layer dirs
    assertEquals([...Deno.readDirSync(store.layout.layerDir)].length, 3);
    assertEquals(
      store.record(res.id)!.layers.map((l) => l.mediaType),
      Array(3).fill("application/vnd.oci.image.layer.v1.tar+gzip"),
    );
  });
});

Deno.test("load: OCI layout with only a tag as ref.name loads untagged", async () => {
  await withRoot(async (root) => {
    const img = await makeImage();
    const r = await tsbox(root, ["load"], {
      stdin: await ociArchive(img, { "org.opencontainers.image.ref.name": "latest" }),
    });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, `Loaded image ID: ${img.id}\n`);
    const ls = await tsbox(root, ["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]);
    assertEquals(ls.stdout, `<none>:<none> ${img.id.slice(7, 19)}\n`);
  });
});

Deno.test({
  name: "load: OCI layout made by umoci with a real whiteout, via skopeo to docker-archive too",
  ignore: !hasCommand("umoci") || !hasCommand("skopeo"),
  fn: async () => {
    await withRoot(async (root) => {
      const work = join(root, "work");
      Deno.mkdirSync(work);
      run("umoci", ["init", "--layout", "lay"], work);
      run("umoci", ["new", "--image", "lay:t"], work);
      run("umoci", ["unpack", "--image", "lay:t", "bundle"], work);
      makeBusyboxRootfs(join(work, "bundle/rootfs"));
      // --refresh-bundle: the next repack is a diff against this one (so it carries the whiteout)
      run("umoci", ["repack", "--refresh-bundle", "--image", "lay:t", "bundle"], work);
      Deno.removeSync(join(work, "bundle/rootfs/etc/group"));
      run("umoci", ["repack", "--image", "lay:t", "bundle"], work);
      run("tar", ["-C", join(work, "lay"), "-cf", join(work, "oci.tar"), "."]);
      const r = await tsbox(root, ["load", "-i", join(work, "oci.tar")]);
      // umoci's ref.name is the bare tag "t": untagged, like docker
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stdout, /^Loaded image ID: sha256:[a-f0-9]{64}\n$/);
      run("skopeo", [
        "copy",
        `oci:${join(work, "lay")}:t`,
        `docker-archive:${join(work, "d.tar")}:umoci/bb:v1`,
      ]);
      const r2 = await tsbox(root, ["load", "-i", join(work, "d.tar")]);
      assertEquals(r2.code, 0, r2.stderr);
      assertEquals(r2.stdout, "Loaded image: umoci/bb:v1\n");
      const dirs = new ImageStore(pathsFor(root)).lookup("umoci/bb:v1")!.layerDirs;
      const top = dirs.at(-1)!;
      assert(
        Deno.lstatSync(join(top, "etc/group")).isCharDevice,
        "umoci's .wh.group became a whiteout",
      );
      assert(Deno.lstatSync(join(dirs[dirs.length - 2], "bin/busybox")).isFile);
      withOverlay(dirs, (m) => {
        assertStringIncludes(Deno.readTextFileSync(join(m, "etc/passwd")), "root:x:0:0");
        assertEquals([...Deno.readDirSync(join(m, "etc"))].some((e) => e.name === "group"), false);
      });
    });
  },
});
