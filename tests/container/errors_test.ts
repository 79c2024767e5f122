/**
 * docker's messages and exit codes for unknown containers, ambiguous id
 * prefixes, names in use, and state conflicts. Requires root.
 */

import { assertStringIncludes } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import { assert, assertEquals, cli, ok, withSeededRoot } from "./_lifecycle.ts";

const CREATE = "create --network none";

Deno.test("lookup: unknown container → 'No such container' and exit 1 everywhere", async () => {
  await withSeededRoot(async (root) => {
    for (
      const cmd of [
        "rm",
        "stop",
        "kill",
        "start",
        "logs",
        "wait",
        "top",
        "inspect --type container",
      ]
    ) {
      const r = await tsbox(root, cli(cmd, "nope"));
      assertEquals(r.code, 1, `${cmd}: ${r.stderr}`);
      const want = cmd.startsWith("inspect")
        ? "Error: No such container: nope\n"
        : "Error response from daemon: No such container: nope\n";
      assertEquals(r.stderr, want, cmd);
    }
    const exec = await tsbox(root, cli("exec nope ls"));
    assertEquals([exec.code, exec.stderr], [
      1,
      "Error response from daemon: No such container: nope\n",
    ]);
    const insp = await tsbox(root, cli("inspect nope"));
    assertEquals([insp.code, insp.stdout, insp.stderr], [
      1,
      "[]\n",
      "Error: No such object: nope\n",
    ]);
    // rm -f reports a missing container but does not fail (docker ≥ 23)
    const rmf = await tsbox(root, cli("rm -f nope"));
    assertEquals(rmf.code, 0);
    assertStringIncludes(rmf.stderr, "No such container: nope");
  });
});

Deno.test("lookup: an ambiguous id prefix is refused; a unique one and names work", async () => {
  await withSeededRoot(async (root) => {
    const ids: string[] = [];
    let shared: string | undefined;
    while (!shared) {
      ids.push((await ok(root, cli(`${CREATE} busybox true`))).stdout.trim());
      shared = ids.map((i) => i[0]).find((c, i, a) => a.indexOf(c) !== i);
    }
    const r = await tsbox(root, ["inspect", "--type", "container", shared]);
    assertEquals(r.code, 1);
    assertEquals(r.stderr, `Error: multiple IDs found with provided prefix: ${shared}\n`);
    const rm = await tsbox(root, ["rm", shared]);
    assertEquals([rm.code, rm.stderr], [
      1,
      `Error response from daemon: multiple IDs found with provided prefix: ${shared}\n`,
    ]);
    const unique = ids[0].slice(0, 12);
    const name = await ok(root, ["inspect", "-f", "{{.Id}}", unique]);
    assertEquals(name.stdout, `${ids[0]}\n`);
    assertEquals((await ok(root, ["rm", ...ids])).stdout.split("\n").filter(Boolean), ids);
  });
});

Deno.test("names: in use → docker's Conflict (run 125, rename 1); rename frees the old name", async () => {
  await withSeededRoot(async (root) => {
    const id = (await ok(root, cli(`${CREATE} --name web busybox true`))).stdout.trim();
    const dup = await tsbox(root, cli("run --network none --name web busybox true"));
    assertEquals(dup.code, 125);
    assertStringIncludes(
      dup.stderr,
      `Conflict. The container name "/web" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
    await ok(root, cli(`${CREATE} --name db busybox true`));
    const clash = await tsbox(root, cli("rename db web"));
    assertEquals(clash.code, 1);
    assertStringIncludes(
      clash.stderr,
      `Error response from daemon: Error when allocating new name: Conflict. The container name "/web" is already in use`,
    );
    const bad = await tsbox(root, cli("rename db bad/name"));
    assertEquals(bad.code, 1);
    assertStringIncludes(bad.stderr, "Invalid container name (bad/name)");
    await ok(root, cli("rename web web2"));
    await ok(root, cli(`${CREATE} --name web busybox true`));
    const names = (await ok(root, cli("ps -a --format {{.Names}}"))).stdout.split("\n").sort();
    assertEquals(names.filter(Boolean), ["db", "web", "web2"]);
  });
});

Deno.test("state: rm of a running container needs -f; kill of a stopped one fails", async () => {
  await withSeededRoot(async (root) => {
    await ok(root, cli("run -d --network none --name busy busybox sleep 60"));
    const rm = await tsbox(root, cli("rm busy"));
    assertEquals(rm.code, 1);
    assertEquals(
      rm.stderr,
      'Error response from daemon: cannot remove container "/busy": container is running: stop the container before removing or force remove\n',
    );
    assertEquals((await ok(root, cli("kill busy"))).stdout, "busy\n");
    assertEquals((await ok(root, cli("wait busy"))).stdout, "137\n");
    const kill = await tsbox(root, cli("kill busy"));
    assertEquals(kill.code, 1);
    assertStringIncludes(kill.stderr, "cannot kill container: busy: container ");
    assertStringIncludes(kill.stderr, " is not running");
    const exec = await tsbox(root, cli("exec busy true"));
    assertEquals(exec.code, 1);
    assert(exec.stderr.endsWith(" is not running\n"), exec.stderr);
    assertEquals((await ok(root, cli("rm busy"))).stdout, "busy\n");
  });
});
