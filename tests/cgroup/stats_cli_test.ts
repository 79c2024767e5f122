/**
 * `tsbox stats` end to end, without the run path: container records are
 * written to a temp state root, and a "running" one gets a real cgroup with
 * a busy shell in it. Needs root.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { cgroupName, hostInfo, openCgroups, parseResourceFlags } from "../../lib/cgroup/mod.ts";
import { DENO, tsbox, tsboxArgv, withRoot } from "../helpers/tsbox.ts";
import { gated, IS_ROOT, killAll, leftovers } from "./_real.ts";

/** A random 64-hex id. */
function newId(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((x) => x.toString(16).padStart(2, "0"))
    .join("");
}

/** Write a minimal container record (what listContainers reads). */
function writeRecord(root: string, id: string, name: string, status: string, pid: number): void {
  const dir = join(root, "containers", id);
  Deno.mkdirSync(dir, { recursive: true });
  const config = {
    id,
    name,
    created: new Date().toISOString(),
    spec: { image: "busybox", cmd: [], env: [], resources: {} },
    image: { ref: "busybox", id: "sha256:" + "0".repeat(64), layerDirs: [] },
    process: {
      args: ["sh"],
      env: [],
      cwd: "/",
      uid: 0,
      gid: 0,
      groups: [],
      user: "root",
      tty: false,
    },
    hostname: id.slice(0, 12),
    mounts: [],
  };
  Deno.writeTextFileSync(join(dir, "container.json"), JSON.stringify(config));
  Deno.writeTextFileSync(join(dir, "state.json"), JSON.stringify({ status, pid }));
}

/** Run `stats --format json` (streaming) until it printed `n` lines, then kill it. */
async function streamedLines(root: string, n: number): Promise<string[]> {
  const child = new Deno.Command(DENO, {
    args: tsboxArgv(root, ["stats", "--format", "json"]),
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: string[] = [];
  let rest = "";
  try {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      lines.push(...parts.filter(Boolean));
      if (lines.length >= n) break;
    }
  } finally {
    killIfRunning(child);
    await child.status;
  }
  return lines;
}

/** SIGKILL `child` unless it has exited already. */
function killIfRunning(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch (err) {
    if (!(err instanceof TypeError)) throw err; // it exited by itself
  }
}

Deno.test({
  name: "tsbox stats: shows a running container's CPU, memory and pids; -a adds stopped ones",
  ignore: !IS_ROOT,
  fn: () =>
    withRoot(async (root) => {
      const id = newId();
      const stoppedId = newId();
      const cg = openCgroups().create(
        cgroupName(id),
        parseResourceFlags({ memory: "64m", cpus: "0.5" }, hostInfo()),
      );
      const g = gated("while :; do :; done");
      try {
        cg.addProcess(g.child.pid);
        await g.release();
        writeRecord(root, id, "busy_one", "running", g.child.pid);
        writeRecord(root, stoppedId, "old_one", "exited", 0);

        const json = await tsbox(root, ["stats", "--no-stream", "--format", "json"]);
        assert.equal(json.code, 0, json.stderr);
        const lines = json.stdout.trim().split("\n");
        assert.equal(lines.length, 1, json.stdout);
        const row = JSON.parse(lines[0]);
        assert.equal(row.ID, id.slice(0, 12));
        assert.equal(row.Name, "busy_one");
        assert.match(row.MemUsage, / \/ 64MiB$/);
        assert.equal(row.PIDs, "1");
        const cpu = parseFloat(row.CPUPerc);
        assert.ok(cpu > 20 && cpu < 80, `CPU % ${row.CPUPerc} should be near 50 under --cpus 0.5`);

        const table = await tsbox(root, ["stats", "--no-stream", "-a"]);
        assert.equal(table.code, 0, table.stderr);
        const [head, ...rows] = table.stdout.trim().split("\n");
        assert.match(
          head,
          /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/,
        );
        assert.equal(rows.length, 2);
        assert.ok(rows.some((r) => r.startsWith(id.slice(0, 12)) && r.includes("busy_one")));
        assert.match(
          rows.find((r) => r.includes("old_one"))!,
          /0\.00%\s+0B \/ 0B\s+0\.00%\s+0B \/ 0B\s+0B \/ 0B\s+0$/,
        );

        // by name and by id prefix
        const named = await tsbox(root, [
          "stats",
          "--no-stream",
          "--format",
          "json",
          "busy_one",
          stoppedId.slice(0, 8),
        ]);
        assert.equal(named.code, 0, named.stderr);
        assert.deepEqual(named.stdout.trim().split("\n").map((l) => JSON.parse(l).Container), [
          "busy_one",
          stoppedId.slice(0, 8),
        ]);

        // streaming redraws every second until killed: wait for the second sample, however
        // slow the machine (an emulated VM starts deno in seconds)
        assert.ok((await streamedLines(root, 2)).length >= 2);
      } finally {
        await g.kill();
        await killAll(cg);
        await g.output;
        await cg.destroy();
        assert.deepEqual(leftovers(cgroupName(id)), []);
      }
    }),
});

Deno.test("tsbox stats: an unknown container or format is an error", async () => {
  await withRoot(async (root) => {
    const r = await tsbox(root, ["stats", "--no-stream", "nosuch"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No such container: nosuch/);
    const f = await tsbox(root, ["stats", "--no-stream", "--format", "{{.ID"]);
    assert.equal(f.code, 1);
    assert.match(f.stderr, /template parsing error: template: :1: unclosed action/);
  });
});
