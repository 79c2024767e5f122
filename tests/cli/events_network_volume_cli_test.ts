/**
 * `tsbox events` for networks and volumes through the CLI, with docker's
 * shapes: network create/connect/disconnect/destroy/prune (a bridged
 * container's start and exit, `network connect`/`disconnect`, `network
 * rm`/`prune`) and volume create/mount/unmount/destroy/prune (`volume
 * create`/`rm`/`prune`, a run's named and anonymous volumes, `rm -v`);
 * `--filter type=|network=|volume=|event=`, `--since`/`--until`. Networks
 * use 10.77.70.0/24 and 10.77.71.0/24 (no other test does). Requires root.
 */

import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import { ok, withSeededRoot } from "../container/_lifecycle.ts";

interface Ev {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: string;
  status?: string;
}

/** Unix seconds now, with a fraction (a --since/--until value). */
const nowArg = () => (Date.now() / 1000).toFixed(3);

/** `tsbox events` output for the events between `since` and `until` (default now). */
async function eventsText(root: string, since: string, extra: string[], until = nowArg()) {
  return (await ok(root, ["events", "--since", since, "--until", until, ...extra])).stdout;
}

/** Past events between `since` and `until` (default now), as docker's JSON. */
async function past(root: string, since: string, extra: string[] = [], until = nowArg()) {
  const out = await eventsText(root, since, ["--format", "json", ...extra], until);
  return out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Ev);
}

/** `TYPE ACTION NAME` of each event (NAME: the network's name, else the actor id). */
const brief = (evs: Ev[]) =>
  evs.map((e) => `${e.Type} ${e.Action} ${e.Actor.Attributes.name ?? e.Actor.ID}`);

/** Remove networks `names` if they are still there (their bridges go with the root). */
async function removeNetworks(root: string, names: string[]): Promise<void> {
  for (const n of names) await tsbox(root, ["network", "rm", n]);
}

Deno.test("events: network create, a start's connect, connect/disconnect, an exit's disconnect, rm, prune", async () => {
  await withSeededRoot(async (root) => {
    const [A, B] = ["evn-a", "evn-b"];
    try {
      const t0 = nowArg();
      const idA = (await ok(root, ["network", "create", "--subnet", "10.77.70.0/24", A])).stdout
        .trim();
      const idB = (await ok(root, ["network", "create", "--subnet", "10.77.71.0/24", B])).stdout
        .trim();
      const cid = (await ok(root, [
        "run",
        "-d",
        "--name",
        "evw",
        "--network",
        A,
        "busybox",
        "sleep",
        "600",
      ])).stdout.trim();
      await ok(root, ["network", "connect", B, "evw"]);
      await ok(root, ["network", "disconnect", B, "evw"]);
      const t1 = nowArg();
      await ok(root, ["stop", "-t", "0", "evw"]);
      await ok(root, ["rm", "evw"]);
      await ok(root, ["network", "rm", B]);
      await ok(root, ["network", "prune", "-f"]);

      const nets = await past(root, t0, ["--filter", "type=network"]);
      assertEquals(brief(nets), [
        `network create ${A}`,
        `network create ${B}`,
        `network connect ${A}`,
        `network connect ${B}`,
        `network disconnect ${B}`,
        `network disconnect ${A}`,
        `network destroy ${B}`,
        `network destroy ${A}`,
        "network prune ",
      ]);
      // docker's fields: the network id as actor, name and type, the container on (dis)connect
      const [createA, , connectA] = nets;
      assertEquals(createA.Actor, { ID: idA, Attributes: { name: A, type: "bridge" } });
      assertEquals(connectA.Actor, {
        ID: idA,
        Attributes: { container: cid, name: A, type: "bridge" },
      });
      assertEquals(nets[4].Actor.ID, idB);
      assertEquals(nets[8].Actor, { ID: "", Attributes: { reclaimed: "0" } });
      assertEquals(
        nets.map((e) => [e.scope, e.status]).filter(([s, st]) => s !== "local" || st),
        [],
      );

      // the whole stream, in docker's order: connect before start, disconnect before die
      const all = brief(await past(root, t0)).filter((l) => !l.includes("prune"));
      const at = (l: string) => {
        const i = all.indexOf(l);
        assert(i >= 0, `${l} not in ${all.join(" | ")}`);
        return i;
      };
      assert(at(`network connect ${A}`) < at("container start evw"));
      assert(at(`network disconnect ${A}`) < at("container die evw"));
      assert(at("container destroy evw") < at(`network destroy ${A}`));

      // filters: network by name or id prefix, event= across types, type=container unchanged
      assertEquals(brief(await past(root, t0, ["--filter", `network=${B}`])), [
        `network create ${B}`,
        `network connect ${B}`,
        `network disconnect ${B}`,
        `network destroy ${B}`,
      ]);
      assertEquals(
        (await past(root, t0, ["--filter", `network=${idA.slice(0, 12)}`])).map((e) => e.Action),
        ["create", "connect", "disconnect", "destroy"],
      );
      assertEquals(brief(await past(root, t0, ["--filter", "event=connect"])), [
        `network connect ${A}`,
        `network connect ${B}`,
      ]);
      const containers = await past(root, t0, ["--filter", "type=container"]);
      assertEquals(containers.map((e) => e.Action), [
        "create",
        "start",
        "kill",
        "kill", // -t 0: SIGTERM, then at once SIGKILL, as docker logs them
        "die",
        "stop",
        "destroy",
      ]);
      assertEquals(containers[0].status, "create"); // a container event keeps status/id/from
      // --until: only what happened before it
      assertEquals(brief(await past(root, t0, ["--filter", "type=network"], t1)), [
        `network create ${A}`,
        `network create ${B}`,
        `network connect ${A}`,
        `network connect ${B}`,
        `network disconnect ${B}`,
      ]);
      // --since: only what happened after it
      assertEquals(
        brief(await past(root, t1, ["--filter", "type=network", "--filter", "event=destroy"])),
        [`network destroy ${B}`, `network destroy ${A}`],
      );
      // docker's default line and a template on .Type/.Action/.Actor
      const line = await eventsText(root, t0, ["-f", `network=${A}`, "-f", "event=create"]);
      assertMatch(
        line,
        new RegExp(`^\\S+Z network create ${idA} \\(name=${A}, type=bridge\\)\\n$`),
      );
      const tpl = await eventsText(root, t0, [
        "-f",
        "event=disconnect",
        "--format",
        "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}",
      ]);
      assertEquals(tpl, `network disconnect ${B} ${cid}\nnetwork disconnect ${A} ${cid}\n`);
      const bad = await tsbox(root, ["events", "--filter", "netwrk=x", "--until", nowArg()]);
      assertEquals([bad.code, bad.stderr.trim()], [1, "tsbox: invalid filter 'netwrk'"]);
    } finally {
      await removeNetworks(root, [A, B]);
    }
  });
});

Deno.test("events: volume create (once), a run's mounts and anonymous volume, rm -v, volume rm, prune", async () => {
  await withSeededRoot(async (root) => {
    const t0 = nowArg();
    await ok(root, ["volume", "create", "evvol"]);
    await ok(root, ["volume", "create", "evvol"]); // exists already: no second create event
    const run = [
      "run",
      "--rm",
      "--network",
      "none",
      "--name",
      "evr",
      "-v",
      "evvol:/data",
      "-v",
      "/anon",
      "--mount",
      "type=volume,source=evro,target=/ro,readonly",
      "busybox",
      "true",
    ];
    await ok(root, run);
    const cid = (await ok(root, ["create", "--network", "none", "-v", "/anon2", "busybox"])).stdout
      .trim();
    await ok(root, ["rm", "-v", cid]);
    await ok(root, ["volume", "rm", "evvol"]);
    await ok(root, ["volume", "prune", "-a", "-f"]);

    const vols = await past(root, t0, ["--filter", "type=volume"]);
    const names = [...new Set(vols.map((e) => e.Actor.ID))];
    // evvol, the run's anonymous /anon, evro, the create's anonymous /anon2, the prune's ""
    assertEquals(names.length, 5, brief(vols).join(" | "));
    const [anon, anon2] = names.filter((n) => /^[0-9a-f]{64}$/.test(n));
    assert(anon && anon2, `two anonymous volumes: ${names}`);
    const of = (name: string) => vols.filter((e) => e.Actor.ID === name).map((e) => e.Action);
    assertEquals(of("evvol"), ["create", "mount", "unmount", "destroy"]);
    assertEquals(of(anon), ["create", "mount", "unmount", "destroy"]); // run --rm takes it along
    assertEquals(of("evro"), ["create", "mount", "unmount", "destroy"]); // named: kept, pruned
    assertEquals(of(anon2), ["create", "destroy"]); // never started: no mount; rm -v removes it
    const prune = vols[vols.length - 1];
    assertEquals([prune.Action, prune.Actor.ID], ["prune", ""]);
    assertMatch(prune.Actor.Attributes.reclaimed, /^\d+$/);

    // docker's attributes: driver on all, container/destination/propagation/read-write on mount
    const runId = vols.find((e) => e.Action === "mount")!.Actor.Attributes.container;
    assertMatch(runId, /^[0-9a-f]{64}$/);
    const attrsOf = (name: string, action: string) =>
      vols.find((e) => e.Actor.ID === name && e.Action === action)!.Actor.Attributes;
    assertEquals(attrsOf("evvol", "create"), { driver: "local" });
    assertEquals(attrsOf("evvol", "destroy"), { driver: "local" });
    assertEquals(attrsOf("evvol", "mount"), {
      driver: "local",
      container: runId,
      destination: "/data",
      propagation: "",
      "read/write": "true",
    });
    assertEquals(attrsOf("evro", "mount")["read/write"], "false");
    assertEquals(attrsOf("evvol", "unmount"), { driver: "local", container: runId });
    assert(vols.every((e) => e.scope === "local" && e.status === undefined));

    // docker's order: mounts before start, unmounts before die, volumes removed before destroy
    const all = (await past(root, t0)).map((e) => `${e.Type} ${e.Action} ${e.Actor.ID}`);
    const at = (l: string) => {
      const i = all.indexOf(l);
      assert(i >= 0, `${l} not in ${all.join(" | ")}`);
      return i;
    };
    assert(at("volume mount evvol") < at(`container start ${runId}`));
    assert(at(`container die ${runId}`) > at("volume unmount evvol"));
    assert(at(`volume destroy ${anon}`) < at(`container destroy ${runId}`)); // docker's too

    // filters: volume= by name (prefix), event= across types; containers' events unchanged
    assertEquals(
      (await past(root, t0, ["--filter", "volume=evv"])).map((e) => `${e.Action} ${e.Actor.ID}`),
      ["create evvol", "mount evvol", "unmount evvol", "destroy evvol"],
    );
    assertEquals(
      (await past(root, t0, ["--filter", "event=mount"])).map((e) => e.Actor.ID).sort(),
      [anon, "evro", "evvol"].sort(),
    );
    assertEquals(
      (await past(root, t0, ["--filter", "type=container", "--filter", "container=evr"])).map((
        e,
      ) => e.Action),
      ["create", "start", "die", "destroy"],
    );
    assertEquals(
      await past(root, t0, ["--filter", "volume=evvol", "--filter", "type=network"]),
      [],
    );
  });
});
