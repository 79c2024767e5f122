/**
 * Removal and creation survive a kill at any moment and a full disk: a
 * `rm -f` killed mid-way leaves a container `ps -a` calls "Dead" that
 * prune and `rm -f` finish; a `create` killed mid-way leaves nothing
 * prune does not sweep; on a full disk the exit code is recorded and
 * `rm -f`, `container prune` and `system prune` work. Faults are injected
 * with strace; the full disk is a small tmpfs. Requires root and strace.
 */

import { hasCommand, tsbox } from "../helpers/tsbox.ts";
import {
  assert,
  assertEquals,
  assertNoLeaks,
  cli,
  ok,
  stateOf,
  withSeededRoot,
} from "./_lifecycle.ts";
import { diskIsFull, fillDisk, freeDisk, names, traced, until, withTmpfsRoot } from "./_fault.ts";

const ignore = !hasCommand("strace");
/** Hold every rename(2) 5 s after it completed: the kill lands right after the first one. */
const STALL_AFTER_RENAME = ["-e", "trace=rename", "-e", "inject=rename:delay_exit=5000000"];
/** Hold every rename(2) 5 s before it runs. */
const STALL_BEFORE_RENAME = ["-e", "trace=rename", "-e", "inject=rename:delay_enter=5000000"];

Deno.test({
  name: "rm -f: a remover killed after its first step leaves a Dead container prune removes",
  ignore,
  fn: async () => {
    await withSeededRoot(async (root) => {
      // warm deno's module cache for `rm`, so the only renames are tsbox's own
      const warm = (await ok(root, cli("create --network none busybox true"))).stdout.trim();
      await ok(root, ["rm", "-f", warm]);
      await ok(root, cli("run --network none --name victim busybox true"));
      const id = (await ok(root, cli("ps -aq --no-trunc"))).stdout.trim();
      const rm = traced(root, ["rm", "-f", "victim"], STALL_AFTER_RENAME);
      try {
        await until(
          "the removal to start",
          () =>
            names(`${root}/containers`).some((n) => n.startsWith(".removing-")) ||
            (names(`${root}/containers`).includes(id) && stateOf(root, id).status === "removing"),
        );
      } finally {
        await rm.kill();
      }
      const ps = (await ok(root, cli("ps -a --no-trunc --format {{.ID}}_{{.State}}_{{.Status}}")))
        .stdout;
      assertEquals(ps, `${id}_dead_Dead\n`);
      const start = await tsbox(root, ["start", id]);
      assertEquals(start.code, 1, start.stderr);
      assert(start.stderr.includes("marked for removal"), start.stderr);
      const pruned = (await ok(root, cli("container prune -f"))).stdout;
      assert(pruned.includes(id), pruned);
      assertEquals(names(`${root}/containers`), []);
      assertEquals((await ok(root, cli("ps -aq"))).stdout, "");
      assertNoLeaks(root, [id]);
    });
  },
});

Deno.test({
  name: "rm -f: a Dead container (remover killed) is removed by a second rm -f, cgroup included",
  ignore,
  fn: async () => {
    await withSeededRoot(async (root) => {
      const warm = (await ok(root, cli("create --network none busybox true"))).stdout.trim();
      await ok(root, ["rm", "-f", warm]);
      const id = (await ok(root, cli("run -d --network none -m 64m --name vv busybox sleep 300")))
        .stdout.trim();
      const rm = traced(root, ["rm", "-f", "vv"], STALL_AFTER_RENAME);
      try {
        await until(
          "the removal to start",
          () =>
            names(`${root}/containers`).some((n) => n.startsWith(".removing-")) ||
            (names(`${root}/containers`).includes(id) && stateOf(root, id).status === "removing"),
        );
      } finally {
        await rm.kill();
      }
      const st = (await ok(root, cli("ps -a --format {{.State}}"))).stdout;
      assert(st === "dead\n" || st === "exited\n", st); // exited: its monitor recorded it first
      assertEquals((await ok(root, ["rm", "-f", id])).stdout, `${id}\n`);
      assertEquals(names(`${root}/containers`), []);
      assertNoLeaks(root, [id]);
    });
  },
});

Deno.test({
  name: "create: a create killed before its record is complete leaves nothing after prune",
  ignore,
  fn: async () => {
    await withSeededRoot(async (root) => {
      const warm = (await ok(root, cli("create --network none busybox true"))).stdout.trim();
      await ok(root, ["rm", "-f", warm]);
      await ok(root, cli("container prune -f"));
      const create = traced(root, cli("create --network none busybox true"), STALL_BEFORE_RENAME);
      try {
        await until(
          "the container dir to be built",
          () =>
            names(`${root}/containers`).some((n) =>
              names(`${root}/containers/${n}`).includes("work")
            ),
        );
      } finally {
        await create.kill();
      }
      assertEquals((await ok(root, cli("ps -aq"))).stdout, "");
      await ok(root, cli("container prune -f"));
      assertEquals(names(`${root}/containers`), []);
    });
  },
});

Deno.test({
  name: "full disk: the exit code is recorded; rm -f, container prune and system prune work",
  fn: async () => {
    await withTmpfsRoot(24, async (root) => {
      await ok(root, cli("create --network none --name first busybox true"));
      await ok(root, cli("create --network none --name second busybox true"));
      // the container fills the disk, then exits 3: that code must survive ENOSPC
      const r = await ok(
        root,
        cli("run --network none --name filler busybox sh -c", "cat /dev/zero > /big; exit 3"),
        3,
      );
      assert(r.stderr.includes("No space left"), r.stderr);
      fillDisk(root);
      assert(diskIsFull(root));
      const ps = (await ok(root, cli("ps -a --format {{.Names}}_{{.Status}}"))).stdout;
      assert(/^filler_Exited \(3\) /m.test(ps), ps);
      fillDisk(root);
      assertEquals((await ok(root, cli("rm -f first"))).stdout, "first\n");
      fillDisk(root);
      assert(diskIsFull(root));
      const pruned = (await ok(root, cli("container prune -f"))).stdout;
      assert(pruned.includes("Total reclaimed space"), pruned);
      assertEquals((await ok(root, cli("ps -aq"))).stdout, "");
      freeDisk(root);
      await ok(root, cli("create --network none --name third busybox true"));
      fillDisk(root);
      assert(diskIsFull(root));
      await ok(root, cli("system prune -f"));
      assertEquals((await ok(root, cli("ps -aq"))).stdout, "");
      assertEquals(names(`${root}/containers`), []);
    });
  },
});
