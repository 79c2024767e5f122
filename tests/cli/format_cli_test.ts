/**
 * `--format` through the CLI for every command that takes it: Go templates,
 * `table` with docker's tabwriter look, the `json` shorthand, `{{.Label}}`,
 * and a bad template as one line with exit 1 (64 for inspect's parse error,
 * as docker). Containers are only created, never started. Runs as root.
 */

import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { seedBusybox } from "../helpers/image_fixture.ts";

async function ok(root: string, args: string[]): Promise<string> {
  const r = await tsbox(root, args);
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** A root with busybox (image label `img=1`) and two created containers. */
async function fixture(root: string): Promise<void> {
  await seedBusybox(root, { config: { Labels: { img: "1" } } });
  await ok(root, [
    "create",
    "--name",
    "alpha",
    "-l",
    "app=web",
    "--label",
    "tier=front",
    "busybox",
  ]);
  await ok(root, ["create", "--name", "beta-longer-name", "-l", "app=db", "busybox", "true"]);
}

Deno.test("ps --format: fields, Label, range/if, table alignment, json keys", () =>
  withRoot(async (root) => {
    await fixture(root);
    assertEquals(
      await ok(root, ["ps", "-a", "--format", '{{.Names}} {{.Label "app"}} {{.State}}']),
      "beta-longer-name db created\nalpha web created\n",
    );
    assertEquals(
      await ok(root, [
        "ps",
        "-a",
        "--format",
        '{{if eq (.Label "app") "web"}}{{upper .Names}}{{else}}-{{end}}',
      ]),
      "-\nALPHA\n",
    );
    const tab = (await ok(root, ["ps", "-a", "--format", 'table {{.Names}}\t{{.Label "tier"}}']))
      .split("\n");
    assertEquals(tab, [
      "NAMES              LABEL",
      "beta-longer-name   ",
      "alpha              front",
      "",
    ]);
    const def = (await ok(root, ["ps", "-a"])).split("\n");
    assertMatch(def[0], /^CONTAINER ID {3}IMAGE {5}COMMAND {3}CREATED +STATUS {4}PORTS {5}NAMES$/);
    const json = (await ok(root, ["ps", "-a", "--format", "json"])).trim().split("\n")
      .map((l) => JSON.parse(l));
    assertEquals(Object.keys(json[0]), [
      "Command",
      "CreatedAt",
      "ID",
      "Image",
      "Labels",
      "LocalVolumes",
      "Mounts",
      "Names",
      "Networks",
      "Ports",
      "RunningFor",
      "Size",
      "State",
      "Status",
    ]);
    assertEquals(json[1].Labels.split(",").sort(), ["app=web", "img=1", "tier=front"]);
    assertEquals(
      await ok(root, [
        "ps",
        "-a",
        "--format",
        '{{range split .Labels ","}}<{{.}}>{{end}}',
        "-n",
        "1",
      ]),
      "<app=db><img=1>\n", // sorted, as docker
    );
  }));

Deno.test("inspect -f: nested fields, json, index, range; errors per object; parse error 64", () =>
  withRoot(async (root) => {
    await fixture(root);
    assertEquals(
      await ok(root, ["inspect", "-f", '{{.Name}} {{index .Config.Labels "app"}}', "alpha"]),
      "/alpha web\n",
    );
    assertEquals(
      await ok(root, ["container", "inspect", "--format", "{{json .Config.Labels}}", "alpha"]),
      '{"img":"1","app":"web","tier":"front"}\n',
    );
    assertEquals(
      await ok(root, [
        "inspect",
        "-f",
        "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}",
        "beta-longer-name",
      ]),
      "app=db;img=1;\n",
    );
    const one = JSON.parse(await ok(root, ["inspect", "--format", "json", "alpha"]));
    assertEquals(one.length, 1);
    assertEquals(one[0].Name, "/alpha");
    const missing = await tsbox(root, ["inspect", "-f", "{{.State.Nope}}", "alpha"]);
    assertEquals(missing.code, 1);
    assertEquals(
      missing.stderr.trim(),
      'tsbox: template parsing error: template: :1:2: executing "" at <.State.Nope>: map has no entry for key "Nope"',
    );
    const bad = await tsbox(root, ["inspect", "-f", "{{.Name", "alpha"]);
    assertEquals([bad.code, bad.stdout], [64, ""]);
    assertEquals(bad.stderr.trim(), "tsbox: template parsing error: template: :1: unclosed action");
    const img = await ok(root, ["image", "inspect", "-f", "{{.Config.Labels.img}}", "busybox"]);
    assertEquals(img, "1\n");
  }));

Deno.test("images, volume ls/inspect, network ls/inspect: --format templates, table and json", () =>
  withRoot(async (root) => {
    await seedBusybox(root);
    assertEquals(
      await ok(root, ["images", "--format", "{{.Repository}}:{{.Tag}} {{len .ID}}"]),
      "busybox:latest 12\n",
    );
    assertMatch(
      (await ok(root, ["images"])).split("\n")[0],
      /^REPOSITORY {3}TAG {7}IMAGE ID {7}CREATED {3}SIZE$/,
    );
    assertEquals(await ok(root, ["images", "--format", "table {{.Tag}}"]), "TAG\nlatest\n");
    assertEquals(JSON.parse(await ok(root, ["images", "--format", "json"])).Tag, "latest");

    await ok(root, ["volume", "create", "--label", "k=v", "vol-one"]);
    await ok(root, ["volume", "create", "vol-two"]);
    assertEquals(
      await ok(root, ["volume", "ls", "--format", '{{.Name}}={{.Label "k"}}']),
      "vol-one=v\nvol-two=\n",
    );
    assertEquals(
      await ok(root, ["volume", "ls", "--format", "table {{.Name}}\t{{.Driver}}"]),
      "VOLUME NAME   DRIVER\nvol-one       local\nvol-two       local\n",
    );
    assertEquals(
      await ok(root, ["volume", "inspect", "-f", "{{.Name}} {{.Labels}}", "vol-one"]),
      "vol-one map[k:v]\n",
    );

    // host and none are built in: no bridge is needed to list or inspect them
    assertEquals(
      await ok(root, ["network", "ls", "--format", "{{.Name}} {{.Driver}}"]),
      "host host\nnone null\n",
    );
    assertEquals(
      await ok(root, ["network", "inspect", "-f", "{{.Name}}/{{.Driver}}", "host", "none"]),
      "host/host\nnone/null\n",
    );
    const nj = JSON.parse(
      (await ok(root, ["network", "ls", "--format", "json", "--filter", "name=none"])).trim(),
    );
    assertEquals([nj.Name, nj.Driver, nj.Scope], ["none", "null", "local"]);
  }));

Deno.test("--format: a bad template is one line and exit 1 in every list command", () =>
  withRoot(async (root) => {
    await seedBusybox(root);
    for (
      const args of [
        ["ps", "--format", "{{.Names"],
        ["ps", "-a", "--format", "{{nosuch .Names}}"],
        ["images", "--format", "{{if .ID}}"],
        ["volume", "ls", "--format", "{{end}}"],
        ["network", "ls", "--format", "{{.Nope}}"],
        ["network", "inspect", "-f", "{{.Name", "host"],
        ["volume", "inspect", "-f", "{{", "x"],
        ["stats", "--no-stream", "--format", "{{.Name"],
      ]
    ) {
      const r = await tsbox(root, args);
      const want = args[1] === "inspect" ? 64 : 1;
      assertEquals(r.code, want, `${args.join(" ")}: ${r.stderr}`);
      assertEquals(r.stdout, "", args.join(" "));
      const lines = r.stderr.trim().split("\n");
      assertEquals(lines.length, 1, r.stderr);
      assert(lines[0].startsWith("tsbox: template parsing error: template: :1"), lines[0]);
    }
  }));
