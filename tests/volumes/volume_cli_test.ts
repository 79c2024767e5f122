/**
 * `tsbox volume …` through the real CLI (tests/helpers tsbox()) against a
 * temp state root: create/ls/inspect/rm/prune, docker's refusals and exit
 * codes. Containers using a volume are fake container.json records.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { pathsFor } from "../../lib/paths.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { parseMountFlags } from "../../volumes/spec.ts";
import { prepareMounts } from "../../volumes/prepare.ts";
import { exists, fakeId, writeFakeContainer } from "./_fixture.ts";

Deno.test("volume create/inspect/ls: names, labels, options, formats", () =>
  withRoot(async (root) => {
    const c = await tsbox(root, [
      "volume",
      "create",
      "--label",
      "env=prod",
      "--label",
      "team",
      "--opt",
      "type=tmpfs",
      "-o",
      "device=tmpfs",
      "-o",
      "o=size=1m",
      "web-data",
    ]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, "web-data\n");
    assert.equal(
      (await tsbox(root, ["volume", "create", "web-data"])).stdout,
      "web-data\n",
      "create is idempotent",
    );
    const anon = await tsbox(root, ["volume", "create"]);
    assert.match(anon.stdout, /^[0-9a-f]{64}\n$/);

    const insp = await tsbox(root, ["volume", "inspect", "web-data"]);
    assert.equal(insp.code, 0, insp.stderr);
    const [v] = JSON.parse(insp.stdout);
    assert.deepEqual(Object.keys(v), [
      "CreatedAt",
      "Driver",
      "Labels",
      "Mountpoint",
      "Name",
      "Options",
      "Scope",
    ]);
    assert.equal(v.Name, "web-data");
    assert.equal(v.Driver, "local");
    assert.equal(v.Scope, "local");
    assert.equal(v.Mountpoint, join(root, "volumes/web-data/_data"));
    assert.deepEqual(v.Labels, { env: "prod", team: "" });
    assert.deepEqual(v.Options, { type: "tmpfs", device: "tmpfs", o: "size=1m" });
    assert.ok(Deno.statSync(v.Mountpoint).isDirectory);

    const missing = await tsbox(root, ["volume", "inspect", "web-data", "nope"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such volume: nope/);
    assert.equal(JSON.parse(missing.stdout).length, 1);

    const ls = await tsbox(root, ["volume", "ls"]);
    assert.equal(ls.stdout.split("\n")[0], "DRIVER    VOLUME NAME");
    assert.ok(ls.stdout.includes("local     web-data\n"));
    const q = await tsbox(root, ["volume", "ls", "-q", "--filter", "label=env=prod"]);
    assert.equal(q.stdout, "web-data\n");
    const json = await tsbox(root, ["volume", "ls", "--format", "json", "--filter", "name=web"]);
    const rows = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => [r.Name, r.Driver, r.Labels]), [[
      "web-data",
      "local",
      "env=prod,team=",
    ]]);
  }));

Deno.test("volume create: bad input fails with exit 1 (125 for a bad --label flag) and creates nothing", () =>
  withRoot(async (root) => {
    for (
      const [args, msg] of [
        [["x"], /invalid characters/],
        [["bad/name"], /invalid characters/],
        [["--opt", "bogus=1", "v1"], /invalid option: "bogus"/],
        [["--opt", "type=tmpfs", "v1"], /missing required option: "device"/],
        [["--driver", "nfs", "v1"], /not supported/],
        [["--name", "a1", "b1"], /conflicting options/],
        [["--label", "=x", "v1"], /invalid label/],
        [["a1", "b1"], /at most 1 argument/],
      ] as const
    ) {
      const r = await tsbox(root, ["volume", "create", ...args]);
      const want = args[0] === "--label" ? 125 : 1; // docker: a flag's own validator → 125
      assert.equal(r.code, want, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split("\n").length <= 2, true, r.stderr);
    }
    assert.equal(exists(join(root, "volumes")), false);
    const u = await tsbox(root, ["volume", "frobnicate"]);
    assert.equal(u.code, 1);
    assert.match(u.stderr, /unknown volume command/);
    const f = await tsbox(root, ["volume", "ls", "--filter", "colour=red"]);
    assert.equal(f.code, 1);
    assert.match(f.stderr, /^tsbox: invalid filter 'colour'$/m);
  }));

Deno.test("volume rm: refuses a volume in use (even -f); -f ignores missing; dangling filter", () =>
  withRoot(async (root) => {
    const paths = pathsFor(root);
    const id = fakeId("e");
    writeFakeContainer(
      paths,
      id,
      prepareMounts(paths, id, parseMountFlags({ volume: ["inuse:/x"], mount: [], tmpfs: [] })),
    );
    await tsbox(root, ["volume", "create", "free1"]);
    Deno.writeTextFileSync(join(root, "volumes/inuse/_data/keep"), "k");

    const dangling = await tsbox(root, ["volume", "ls", "-q", "--filter", "dangling=true"]);
    assert.equal(dangling.stdout, "free1\n");
    const used = await tsbox(root, ["volume", "ls", "-q", "--filter", "dangling=false"]);
    assert.equal(used.stdout, "inuse\n");

    for (const args of [["inuse"], ["-f", "inuse"]]) {
      const r = await tsbox(root, ["volume", "rm", ...args]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`remove inuse: volume is in use - \\[${id}\\]`));
    }
    assert.equal(Deno.readTextFileSync(join(root, "volumes/inuse/_data/keep")), "k");
    const miss = await tsbox(root, ["volume", "rm", "ghost"]);
    assert.equal(miss.code, 1);
    assert.match(miss.stderr, /No such volume: ghost/);
    const force = await tsbox(root, ["volume", "rm", "-f", "ghost", "free1"]);
    assert.equal(force.code, 0, force.stderr);
    assert.equal(force.stdout, "free1\n");
    assert.equal(exists(join(root, "volumes/free1")), false);
  }));

Deno.test("volume prune: asks first; anonymous unused only unless -a; reports space", () =>
  withRoot(async (root) => {
    const paths = pathsFor(root);
    const [anon] = prepareMounts(
      paths,
      fakeId("f"),
      parseMountFlags({ volume: ["/cache"], mount: [], tmpfs: [] }),
    );
    Deno.writeTextFileSync(join(anon.source, "blob"), "x".repeat(1234));
    await tsbox(root, ["volume", "create", "named-free"]);

    const no = await tsbox(root, ["volume", "prune"], { stdin: "n\n" });
    assert.equal(no.code, 0);
    assert.match(no.stdout, /WARNING! This will remove anonymous local volumes/);
    assert.ok(exists(anon.source), "declined: nothing removed");

    const yes = await tsbox(root, ["volume", "prune", "-f"]);
    assert.equal(yes.code, 0, yes.stderr);
    assert.equal(
      yes.stdout,
      `Deleted Volumes:\n${anon.volume!.name}\n\nTotal reclaimed space: 1.234kB\n`,
    );
    assert.ok(exists(join(root, "volumes/named-free")));

    const all = await tsbox(root, ["volume", "prune", "-a", "-f"]);
    assert.match(all.stdout, /Deleted Volumes:\nnamed-free\n/);
    const none = await tsbox(root, ["volume", "prune", "-f"]);
    assert.equal(none.stdout, "Total reclaimed space: 0B\n");
  }));
