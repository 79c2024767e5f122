/**
 * run/create details docker users rely on: `-it` without a terminal fails
 * before anything is created, `--name ''` generates a name, `-v ./rel:/x`
 * is a bind of a path relative to the current directory, labels from
 * `--label`, `-l` and `--label-file` land in `.Config.Labels` over the
 * image's. Runs as root; nothing is started.
 */

import { assertEquals, assertMatch } from "../helpers/assert.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { seedBusybox } from "../helpers/image_fixture.ts";

Deno.test("run -it with a stdin that is not a terminal: docker's error, exit 1, nothing created", () =>
  withRoot(async (root) => {
    await seedBusybox(root);
    const r = await tsbox(root, ["run", "-it", "--rm", "busybox", "true"]);
    assertEquals([r.code, r.stderr.split("\n")[0]], [1, "tsbox: the input device is not a TTY"]);
    assertEquals((await tsbox(root, ["ps", "-aq"])).stdout, "");
  }));

Deno.test("create --name '' generates a name; -v ./rel and ../rel bind cwd-relative paths", () =>
  withRoot(async (root) => {
    await seedBusybox(root);
    const work = `${root}/work/sub`;
    Deno.mkdirSync(`${work}/data`, { recursive: true });
    const c = await tsbox(root, [
      "create",
      "--name",
      "",
      "-v",
      "./data:/x",
      "-v",
      "../:/up:ro",
      "busybox",
    ], { cwd: work });
    assertEquals(c.code, 0, c.stderr);
    const id = c.stdout.trim();
    const info = JSON.parse((await tsbox(root, ["inspect", id])).stdout)[0];
    assertMatch(info.Name, /^\/[a-z]+_[a-z]+$/);
    assertEquals(info.HostConfig.Binds, [`${work}/data:/x`, `${root}/work:/up:ro`]);
    const mounts = info.Mounts.map((
      m: { Source: string; Destination: string; Type: string },
    ) => [m.Type, m.Source, m.Destination]);
    assertEquals(mounts, [["bind", `${work}/data`, "/x"], ["bind", `${root}/work`, "/up"]]);
  }));

Deno.test("create -l/--label/--label-file: stored labels override the image's, shown by inspect", () =>
  withRoot(async (root) => {
    await seedBusybox(root, { config: { Labels: { from: "image", keep: "me" } } });
    const file = `${root}/labels.txt`;
    Deno.writeTextFileSync(file, "# comment\nfrom=file\n\nflag\n");
    const c = await tsbox(root, [
      "create",
      "--name",
      "labelled",
      "--label-file",
      file,
      "-l",
      "a=1",
      "--label",
      "b=x=y",
      "busybox",
    ]);
    assertEquals(c.code, 0, c.stderr);
    const labels = JSON.parse(
      (await tsbox(root, ["inspect", "-f", "{{json .Config.Labels}}", "labelled"])).stdout,
    );
    assertEquals(labels, { from: "file", keep: "me", flag: "", a: "1", b: "x=y" });
    const bad = await tsbox(root, ["create", "-l", "=v", "busybox"]);
    assertEquals(bad.code, 125);
    assertMatch(bad.stderr, /invalid label '=v'/);
    const missing = await tsbox(root, ["create", "--label-file", `${root}/nope`, "busybox"]);
    assertEquals(missing.code, 125);
    assertEquals(missing.stderr.trim(), `tsbox: open ${root}/nope: no such file or directory`);
    assertEquals((await tsbox(root, ["ps", "-aq"])).stdout.trim().split("\n").length, 1);
  }));
