/**
 * Faults around the network attachment on the default bridge: the init's
 * own error wins over an attach that failed because the init died, and a
 * kill between pinning the netns and recording it leaves no pin after
 * `rm -f`. Requires root, the CNI plugins and strace.
 */

import { assert, assertEquals } from "../helpers/assert.ts";
import { hasCommand, tsbox, tsboxArgv, withRoot } from "../helpers/tsbox.ts";
import { seedImage } from "./_image.ts";
import { names, traced, until } from "../container/_fault.ts";
import { mountsUnder } from "../../lib/safe_remove.ts";
import { isSameProcess } from "../../lib/container/proc.ts";

/** Pids of `__init` processes of the test root. */
function initsOf(root: string): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^[0-9]+$/.test(e.name)) continue;
    let cmd: string;
    try {
      cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
    } catch (err) {
      // exited while listed
      if (err instanceof Deno.errors.NotFound || String(err).includes("os error 3")) continue;
      throw err;
    }
    const args = cmd.split("\0");
    if (args.includes("__init") && args.includes(root)) out.push(Number(e.name));
  }
  return out;
}

Deno.test("run: the init's error wins over an attach failing because the init died", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    // the attach waits for this lock: hold it until the init has failed and exited
    Deno.mkdirSync(`${root}/locks`, { recursive: true });
    const lock = Deno.openSync(`${root}/locks/net-ports.lock`, { create: true, write: true });
    let released = false;
    try {
      lock.lockSync(true);
      const run = new Deno.Command(Deno.execPath(), {
        args: tsboxArgv(root, ["run", "--rm", "busybox", "nosuchcmd"]),
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const out = run.output();
      let init = 0;
      await until("the init to start", () => (init = initsOf(root)[0] ?? 0) > 0);
      await until("the init to fail", () => !isSameProcess(init, undefined));
      lock.unlockSync();
      released = true;
      const r = await out;
      const stderr = new TextDecoder().decode(r.stderr);
      assertEquals(r.code, 127, stderr);
      assert(stderr.includes("executable file not found"), stderr);
      assertEquals((await tsbox(root, ["ps", "-aq"])).stdout, "");
    } finally {
      if (!released) lock.unlockSync();
      lock.close();
      await tsbox(root, ["network", "rm", "bridge"]);
    }
  });
});

Deno.test({
  name: "rm -f: a run killed between pinning its netns and recording it leaves no pin",
  ignore: !hasCommand("strace"),
  fn: async () => {
    await withRoot(async (root) => {
      await seedImage(root);
      const netns = `${root}/networks/netns`;
      try {
        // stall tsbox's main thread (not the init) right after its first mount: the pin
        const run = traced(
          root,
          ["run", "--name", "pinned", "busybox", "sleep", "60"],
          ["-e", "trace=mount", "-e", "inject=mount:delay_exit=5000000"],
          { follow: false },
        );
        try {
          await until("the netns to be pinned", () => mountsUnder(netns).length > 0);
        } finally {
          await run.kill();
        }
        assertEquals(names(`${root}/networks/attachments`), [], "no record was written");
        const ps = await tsbox(root, ["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
        assertEquals(ps.stdout, "pinned exited\n");
        const rm = await tsbox(root, ["rm", "-f", "pinned"]);
        assertEquals(rm.code, 0, rm.stderr);
        assertEquals(mountsUnder(root), []);
        assertEquals(names(netns), []);
      } finally {
        for (const m of mountsUnder(netns)) {
          new Deno.Command("umount", { args: ["-l", m] }).outputSync(); // a failed test's pin
        }
        await tsbox(root, ["rm", "-f", "pinned"]);
        await tsbox(root, ["network", "rm", "bridge"]);
      }
    });
  },
});
