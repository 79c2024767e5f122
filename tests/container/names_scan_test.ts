/**
 * store.containerNames, the names check of every create: it reads each
 * record's name from the record's head, and whole any record whose head is
 * not the compact one createContainer writes (an older tsbox's indented
 * record, a head naming another id), so it names what listContainers lists;
 * and a prune's sweep of staging dirs, which creates build outside the names
 * lock. The last test (a real create) needs root.
 */

import { assertEquals } from "../helpers/assert.ts";
import { join } from "../../lib/posix_path.ts";
import { pathsFor } from "../../lib/paths.ts";
import {
  containerNames,
  listContainers,
  stagingName,
  trashName,
} from "../../lib/container/store.ts";
import { sweepStaging } from "../../lib/container/create.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";
import type { CliContext } from "../../lib/cli/context.ts";
import { cli, ok, withSeededRoot } from "./_lifecycle.ts";

const id = (c: string) => c.repeat(64);

/** A record as createContainer writes it: compact, id then name first. */
function record(i: string, name: string, indent?: number): string {
  return JSON.stringify(
    { id: i, name, created: "2026-12-01T00:00:00Z", spec: { name } },
    null,
    indent,
  );
}

Deno.test("containerNames: the names listContainers lists, read from the heads or whole", () => {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-names-" });
  try {
    const paths = pathsFor(root);
    const put = (dir: string, text: string) => {
      Deno.mkdirSync(join(paths.containers, dir), { recursive: true });
      Deno.writeTextFileSync(join(paths.containers, dir, "container.json"), text);
      Deno.writeTextFileSync(
        join(paths.containers, dir, "state.json"),
        '{"status":"created","pid":0}',
      );
    };
    put(id("a"), record(id("a"), "compact_one"));
    put(id("b"), record(id("b"), "indented.one", 2)); // an older tsbox's record
    // a head naming another id: not taken at its word, and the whole record says why
    put(id("c"), record(id("d"), "wrong_head"));
    put(trashName(id("e"), { pid: 1, startTime: 1 }), record(id("e"), "being-removed"));
    put(".creating-" + id("f"), record(id("f"), "staging")); // not a container yet
    const fast = () => containerNames(paths).map((c) => `${c.id[0]}:${c.name}`).sort();
    const whole = listContainers(paths).map((c) => `${c.config.id[0]}:${c.config.name}`).sort();
    assertEquals(fast(), ["a:compact_one", "b:indented.one", "e:being-removed"]);
    assertEquals(fast(), whole);
    // a record cut short after its head (a crash, a full disk) is read whole, and skipped
    put(id("9"), record(id("9"), "cut_short").slice(0, 120));
    assertEquals(fast(), whole);
    // the head is what is read: a record with garbage after a whole head and end still counts
    put(id("8"), record(id("8"), "head_only").slice(0, 110) + "garbage}");
    assertEquals(fast(), ["8:head_only", ...whole]);
    assertEquals(listContainers(paths).length, whole.length);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("sweepStaging: a killed create's staging dir goes, a live creator's stays", async () => {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-staging-" });
  try {
    const paths = pathsFor(root);
    const mine = stagingName(id("1")); // this process: alive, building it
    const dead = `.creating-${id("2")}.999999999.1`; // no such process
    const older = `.creating-${id("3")}`; // an older tsbox's, made under the names lock
    for (const d of [mine, dead, older]) {
      Deno.mkdirSync(join(paths.containers, d, "upper"), { recursive: true });
    }
    const ctx = { paths, kernel: new LinuxKernel() } as unknown as CliContext;
    assertEquals(await sweepStaging(ctx), 2);
    assertEquals([...Deno.readDirSync(paths.containers)].map((e) => e.name), [mine]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test({
  name: "create: a record starts with the head containerNames reads (else every create parses all)",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    await withSeededRoot(async (root) => {
      const made = await ok(root, cli("create --network none --name head_check busybox true"));
      const id = made.stdout.trim();
      const text = Deno.readTextFileSync(join(root, "containers", id, "container.json"));
      const head = (name: string) => `{"id":"${id}","name":"${name}",`;
      assertEquals(text.slice(0, head("head_check").length), head("head_check"));
      // and renamed, the name keeps its place
      await ok(root, cli("rename head_check head_moved"));
      const after = Deno.readTextFileSync(join(root, "containers", id, "container.json"));
      assertEquals(after.slice(0, head("head_moved").length), head("head_moved"));
      assertEquals(containerNames(pathsFor(root)), [{ id, name: "head_moved" }]);
    });
  },
});
