/**
 * `--filter` honoured or refused, never ignored: each filter key is checked
 * by a case that fails if the filter were dropped (it must exclude
 * something), prunes keep what their filter does not select, and an
 * unknown key is docker's `invalid filter 'x'` with exit 1. Labels come
 * from `--label`/`-l`/`--label-file` and the image. Runs as root;
 * containers are only created, never started.
 */

import { assertEquals, assertMatch } from "../helpers/assert.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { seedBusybox } from "../helpers/image_fixture.ts";

async function ok(root: string, args: string[]): Promise<string> {
  const r = await tsbox(root, args);
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

const names = async (root: string, ...filters: string[]) =>
  (await ok(root, ["ps", "-a", "--format", "{{.Names}}", ...filters.flatMap((f) => ["-f", f])]))
    .split("\n").filter(Boolean).sort();

Deno.test("ps --filter: name regex, label, ancestor, volume, network, status, id, before/since", () =>
  withRoot(async (root) => {
    await seedBusybox(root);
    await seedBusybox(root, { names: ["docker.io/library/other:1"], config: { Env: ["X=1"] } });
    const labels = `${root}/labels`;
    Deno.writeTextFileSync(labels, "# team labels\nteam=blue\n\nflag\n");
    await ok(root, ["create", "--name", "web-one", "-l", "app=web", "-v", "data1:/d", "busybox"]);
    const mid = (await ok(root, [
      "create",
      "--name",
      "web-two",
      "--label-file",
      labels,
      "--network",
      "none",
      "busybox",
    ])).trim();
    await ok(root, ["create", "--name", "db", "-l", "app=db", "other:1"]);

    assertEquals(await names(root), ["db", "web-one", "web-two"]);
    assertEquals(await names(root, "name=^web"), ["web-one", "web-two"]);
    assertEquals(await names(root, "name=one$"), ["web-one"]);
    assertEquals(await names(root, "name=/db"), ["db"]);
    assertEquals(await names(root, "label=app"), ["db", "web-one"]);
    assertEquals(await names(root, "label=app=web"), ["web-one"]);
    assertEquals(await names(root, "label=team=blue", "label=flag"), ["web-two"]);
    assertEquals(await names(root, "label=team=red"), []);
    assertEquals(await names(root, "ancestor=other:1"), ["db"]);
    assertEquals(await names(root, "ancestor=busybox"), ["web-one", "web-two"]);
    assertEquals(await names(root, "volume=data1"), ["web-one"]);
    assertEquals(await names(root, "volume=/d"), ["web-one"]);
    assertEquals(await names(root, "network=none"), ["web-two"]);
    assertEquals(await names(root, "status=created"), ["db", "web-one", "web-two"]);
    assertEquals(await names(root, "status=exited"), []);
    assertEquals(await names(root, "exited=0"), []);
    assertEquals(await names(root, `id=${mid.slice(0, 10)}`), ["web-two"]);
    assertEquals(await names(root, "before=web-two"), ["web-one"]);
    assertEquals(await names(root, "since=web-two"), ["db"]);
    assertEquals(await names(root, "health=none"), ["db", "web-one", "web-two"]);
    assertEquals(await names(root, "health=healthy"), []);
    // values of one key are OR'ed, keys AND'ed
    assertEquals(await names(root, "name=db", "name=web-one"), ["db", "web-one"]);
    assertEquals(await names(root, "name=web", "label=app"), ["web-one"]);

    const bad = await tsbox(root, ["ps", "-f", "colour=red"]);
    assertEquals([bad.code, bad.stderr.trim()], [1, "tsbox: invalid filter 'colour'"]);
    const flag = await tsbox(root, ["ps", "-f", "noequals"]);
    assertEquals(flag.code, 125); // docker: a bad --filter value is a flag error
    assertMatch(flag.stderr, /bad format of filter \(expected name=value\)/);
    const since = await tsbox(root, ["ps", "-f", "since=nosuch"]);
    assertEquals(since.code, 1);
    assertMatch(since.stderr, /No such container: nosuch/);
  }));

Deno.test("container prune --filter: label, label!, until keep what they do not select", () =>
  withRoot(async (root) => {
    await seedBusybox(root);
    await ok(root, ["create", "--name", "keep-me", "busybox"]);
    const gone = (await ok(root, ["create", "--name", "drop-me", "-l", "tmp=1", "busybox"])).trim();
    await ok(root, ["create", "--name", "other", "-l", "tmp=2", "busybox"]);

    const none = await ok(root, ["container", "prune", "-f", "--filter", "until=1h"]);
    assertEquals(none, "Total reclaimed space: 0B\n", "all were created less than an hour ago");
    const r = await ok(root, ["container", "prune", "-f", "--filter", "label=tmp=1"]);
    assertEquals(r.split("\n").slice(0, 2), ["Deleted Containers:", gone]);
    assertEquals(await names(root), ["keep-me", "other"]);
    await ok(root, ["container", "prune", "-f", "--filter", "label!=tmp"]);
    assertEquals(await names(root), ["other"]);

    const bad = await tsbox(root, ["container", "prune", "-f", "--filter", "name=other"]);
    assertEquals([bad.code, bad.stderr.trim()], [1, "tsbox: invalid filter 'name'"]);
    assertEquals(await names(root), ["other"], "a refused filter removes nothing");
  }));

Deno.test("volume ls/prune and network ls/prune: filters select; image prune refuses them", () =>
  withRoot(async (root) => {
    await seedBusybox(root);
    await ok(root, ["volume", "create", "--label", "scratch=yes", "vol-scratch"]);
    await ok(root, ["volume", "create", "vol-keep"]);
    const vols = async (...f: string[]) =>
      (await ok(root, ["volume", "ls", "-q", ...f.flatMap((x) => ["--filter", x])])).split("\n")
        .filter(Boolean);
    assertEquals(await vols("label=scratch"), ["vol-scratch"]);
    assertEquals(await vols("name=keep"), ["vol-keep"]);
    assertEquals(await vols("dangling=true"), ["vol-keep", "vol-scratch"]);
    const pruned = await ok(root, ["volume", "prune", "-a", "-f", "--filter", "label=scratch=yes"]);
    assertEquals(pruned.split("\n").slice(0, 2), ["Deleted Volumes:", "vol-scratch"]);
    assertEquals(await vols(), ["vol-keep"], "the unlabeled volume is kept");

    const nets = async (...f: string[]) =>
      (await ok(root, ["network", "ls", "--format", "{{.Name}}", ...f.flatMap((x) => ["-f", x])]))
        .split("\n").filter(Boolean);
    assertEquals(await nets("driver=host"), ["host"]);
    assertEquals(await nets("name=no"), ["none"]);
    assertEquals(await nets("type=custom"), []);
    assertEquals(await nets("label=x"), []);
    assertEquals(await nets("dangling=true"), [], "built-in networks are never dangling");
    assertEquals(await nets("dangling=false"), ["host", "none"]);
    const nb = await tsbox(root, ["network", "prune", "-f", "--filter", "driver=bridge"]);
    assertEquals([nb.code, nb.stderr.trim()], [1, "tsbox: invalid filter 'driver'"]);

    for (const cmd of [["image", "prune", "-a", "-f"], ["system", "prune", "-a", "-f"]]) {
      const r = await tsbox(root, [...cmd, "--filter", "label=x"]);
      assertEquals(r.code, 1, `${cmd.join(" ")}: ${r.stderr}`);
      assertMatch(r.stderr, /--filter label is not supported yet/);
    }
    assertEquals((await ok(root, ["images", "-q"])).split("\n").filter(Boolean).length, 1);
  }));

Deno.test("images --filter: label, dangling, reference; bad values refused", () =>
  withRoot(async (root) => {
    await seedBusybox(root, { config: { Labels: { os: "tiny" } } });
    await seedBusybox(root, {
      names: ["docker.io/library/newer:1"],
      config: { Env: ["N=1"] },
    });
    const imgs = async (...f: string[]) =>
      (await ok(root, ["images", "--format", "{{.Repository}}", ...f.flatMap((x) => ["-f", x])]))
        .split("\n").filter(Boolean).sort();
    assertEquals(await imgs(), ["busybox", "newer"]);
    assertEquals(await imgs("label=os=tiny"), ["busybox"]);
    assertEquals(await imgs("label=os=big"), []);
    assertEquals(await imgs("reference=new*"), ["newer"]);
    assertEquals(await imgs("dangling=true"), []);
    assertEquals(await imgs("dangling=false"), ["busybox", "newer"]);
    const bad = await tsbox(root, ["images", "-f", "dangling=maybe"]);
    assertEquals([bad.code, bad.stderr.split("\n")[0]], [
      1,
      "tsbox: invalid filter 'dangling=maybe'",
    ]);
    const unknown = await tsbox(root, ["images", "-f", "shape=round"]);
    assertEquals([unknown.code, unknown.stderr.trim()], [1, "tsbox: invalid filter 'shape'"]);
  }));
