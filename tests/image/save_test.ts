/**
 * `tsbox save` → `tsbox load` round trips, and the saved archive read by
 * the real skopeo (as docker-archive and as oci-archive). Runs as root.
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "../helpers/assert.ts";
import { join } from "node:path";
import { hasCommand, tsbox, tsboxArgv, withRoot } from "../helpers/tsbox.ts";
import { pathsFor } from "../../lib/paths.ts";
import { ImageStore } from "../../lib/image/store.ts";
import { planSave, writeArchive } from "../../lib/image/archive_save.ts";
import { dockerArchive, makeImage } from "./_archives.ts";

Deno.test("save: round trip through load keeps id, tags, layers and whiteouts", async () => {
  await withRoot(async (src) => {
    const img = await makeImage();
    const r0 = await tsbox(src, ["load"], {
      stdin: await dockerArchive(img, ["app:1", "app:2", "other:x"]),
    });
    assertEquals(r0.code, 0, r0.stderr);
    const out = join(src, "out.tar");
    const s = await tsbox(src, ["save", "-o", out, "app"]);
    assertEquals(s.code, 0, s.stderr);
    await withRoot(async (dst) => {
      const r = await tsbox(dst, ["load", "-i", out]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout.split("\n").filter(Boolean).sort(), [
        "Loaded image: app:1",
        "Loaded image: app:2",
      ]);
      const store = new ImageStore(pathsFor(dst));
      const loaded = store.lookup("app:2")!;
      assertEquals(loaded.id, img.id);
      assertEquals(loaded.config.Cmd, ["/bin/tool"]);
      assertEquals(store.lookup("other:x"), undefined);
      const wh = Deno.lstatSync(join(loaded.layerDirs[1], "etc/motd"));
      assert(wh.isCharDevice && wh.rdev === 0);
      assertEquals(Deno.readTextFileSync(join(loaded.layerDirs[2], "srv/data")), "layer three");
    });
  });
});

Deno.test("save: to stdout, and by id (untagged), loads back", async () => {
  await withRoot(async (src) => {
    const img = await makeImage();
    assertEquals(
      (await tsbox(src, ["load"], { stdin: await dockerArchive(img, ["app:1"]) })).code,
      0,
    );
    // raw bytes of stdout (the tsbox() helper decodes output as text)
    const raw = new Deno.Command(Deno.execPath(), {
      args: tsboxArgv(src, ["save", "app:1"]),
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    assert(raw.success, new TextDecoder().decode(raw.stderr));
    await withRoot(async (dst) => {
      const r = await tsbox(dst, ["load"], { stdin: raw.stdout });
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout, "Loaded image: app:1\n");
    });
    await withRoot(async (dst) => {
      const file = join(src, "by-id.tar");
      const s = await tsbox(src, ["save", "-o", file, img.id.slice(7, 19)]);
      assertEquals(s.code, 0, s.stderr);
      const r = await tsbox(dst, ["load", "-i", file]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout, `Loaded image ID: ${img.id}\n`);
    });
    const missing = await tsbox(src, ["save", "-o", join(src, "none.tar"), "app:1", "nosuch:1"]);
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, "No such image: nosuch:1");
    assertEquals([...Deno.readDirSync(src)].some((e) => e.name.includes("none.tar")), false);
  });
});

Deno.test({
  name: "save: skopeo reads the archive as docker-archive and oci-archive",
  ignore: !hasCommand("skopeo"),
  fn: async () => {
    await withRoot(async (root) => {
      const img = await makeImage();
      assertEquals(
        (await tsbox(root, ["load"], { stdin: await dockerArchive(img, ["example.com/app:7"]) }))
          .code,
        0,
      );
      const out = join(root, "out.tar");
      assertEquals((await tsbox(root, ["save", "-o", out, "example.com/app:7"])).code, 0);
      const inspect = (ref: string) => {
        const r = new Deno.Command("skopeo", {
          args: ["inspect", ref],
          stdout: "piped",
          stderr: "piped",
        }).outputSync();
        if (!r.success) throw new Error(new TextDecoder().decode(r.stderr));
        return JSON.parse(new TextDecoder().decode(r.stdout));
      };
      const d = inspect(`docker-archive:${out}`);
      assertEquals(d.Layers, JSON.parse(new TextDecoder().decode(img.config)).rootfs.diff_ids);
      const o = inspect(`oci-archive:${out}`);
      assertEquals(o.Layers.length, 3);
      // and skopeo's own docker-archive of it loads back into tsbox
      const again = join(root, "again.tar");
      const c = new Deno.Command("skopeo", {
        args: ["copy", `docker-archive:${out}`, `docker-archive:${again}:example.com/app:8`],
        stdout: "null",
        stderr: "piped",
      }).outputSync();
      assert(c.success, new TextDecoder().decode(c.stderr));
      const r = await tsbox(root, ["load", "-i", again]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout, "Loaded image: example.com/app:8\n");
    });
  },
});

Deno.test("writeArchive: a failing output (closed pipe) aborts with its error, without hanging", async () => {
  await withRoot(async (root) => {
    const img = await makeImage();
    assertEquals(
      (await tsbox(root, ["load"], { stdin: await dockerArchive(img, ["app:1"]) })).code,
      0,
    );
    const store = new ImageStore(pathsFor(root));
    for (const limit of [10, 3000, 1e9]) {
      let n = 0;
      const sink = async (c: Uint8Array) => {
        n += c.length;
        if (n > limit) throw new Error("sink closed");
        await new Promise((r) => setTimeout(r, 0));
      };
      const run = writeArchive(store, planSave(store, ["app:1"]), sink);
      if (limit < 1e9) await assertRejects(() => run, Error, "sink closed");
      else await run;
    }
  });
});
