/**
 * A SIGKILL after every state change of `run`, `run -d`, the monitor and
 * `rm -f`: strace SIGKILLs the process on entering its n-th rename(2) (each
 * state write, staging or trash rename is one), for n = 1, 2, … until the
 * command runs through; for `rm -f` also
 * after each of its first 16 rmdir(2) calls (cgroups, then the tree). After each kill `ps -a`
 * tells the truth (a container is running exactly when a process of it is
 * alive), one `rm -f` + `system prune -f` leaves no directory, cgroup,
 * mount or process, and a named volume's data is unchanged.
 * Requires root and strace.
 */

import { createHash } from "node:crypto";
import { hasCommand, tsbox } from "../helpers/tsbox.ts";
import {
  assert,
  assertEquals,
  cgroupsOf,
  cli,
  ok,
  processesUsing,
  withSeededRoot,
} from "./_lifecycle.ts";
import { killAt, names, until } from "./_fault.ts";
import { mountsUnder } from "../../lib/safe_remove.ts";
import { readNetwork } from "../../lib/net/store.ts";
import { networkInfoOf } from "../../lib/net/conflist.ts";
import { pathsFor } from "../../lib/paths.ts";

const DATA = "the named volume's data\n".repeat(1000);
const sha = (s: string | Uint8Array) => createHash("sha256").update(s).digest("hex");

/** Container ids of every dir under containers/ (live, staging or trash). */
function idsOnDisk(root: string): string[] {
  return names(`${root}/containers`).map((n) => /[0-9a-f]{64}/.exec(n)?.[0] ?? "")
    .filter(Boolean);
}

/** ps -a tells the truth: "running" exactly when a process of the root is alive. */
async function assertTruthfulPs(root: string): Promise<void> {
  const ps = await ok(root, cli("ps -a --format {{.State}}"));
  const states = ps.stdout.split("\n").filter(Boolean);
  for (const s of states) assert(["created", "running", "exited", "dead"].includes(s), ps.stdout);
  const running = states.filter((s) => s === "running").length;
  if (running === 0) {
    // an init killed with its supervisor (PDEATHSIG) may take a moment to go
    await until("the processes of the killed command to go", () => !processesUsing(root).length);
  } else {
    assert(processesUsing(root).length > 0, `ps says running: ${ps.stdout}`);
  }
}

/** Extra leak checks of a matrix (e.g. the network's), run after each cleanup. */
let extraChecks: (what: string, ids: Set<string>) => void = () => {};

/** One trial's aftermath: truthful ps, then one rm -f + system prune leaves nothing. */
async function checkAndClean(root: string, what: string, seen: Set<string>): Promise<void> {
  await assertTruthfulPs(root);
  for (const id of idsOnDisk(root)) seen.add(id);
  const ids = (await ok(root, cli("ps -aq --no-trunc"))).stdout.split("\n").filter(Boolean);
  if (ids.length) await ok(root, ["rm", "-f", ...ids]);
  await ok(root, cli("system prune -f"));
  assertEquals(names(`${root}/containers`), [], `${what}: container dirs left`);
  assertEquals(mountsUnder(root), [], `${what}: mounts left`);
  assertEquals(processesUsing(root), [], `${what}: processes left`);
  for (const id of seen) assertEquals(cgroupsOf(id), [], `${what}: cgroups of ${id}`);
  const data = Deno.readTextFileSync(`${root}/volumes/data/_data/f`);
  assertEquals(sha(data), sha(DATA), `${what}: the named volume's data changed`);
  extraChecks(what, seen);
}

/**
 * Kill `args` at its 1st, 2nd, … `syscall` until it runs through (or for
 * the first `max` ones); returns the number of kills.
 */
async function matrix(
  root: string,
  what: string,
  prepare: () => Promise<void>,
  args: string[],
  opts: { follow: boolean; syscall?: string; max?: number },
): Promise<number> {
  const seen = new Set<string>();
  const syscall = opts.syscall ?? "rename";
  for (let n = 1;; n++) {
    await prepare();
    const r = await killAt(root, args, { syscall, n, follow: opts.follow });
    await checkAndClean(root, `${what} killed before ${syscall} #${n}`, seen);
    if (!r.killed || n === opts.max) return r.killed ? n : n - 1;
    assert(n < 40, `${what}: no end to its ${syscall} calls`);
  }
}

const RUN = cli("run --network none -m 64m -v data:/data busybox md5sum /data/f");
const RUN_D = cli("run -d --network none -m 64m -v data:/data --name bg busybox sleep 300");
const nothing = () => Promise.resolve();

Deno.test({
  name: "kill matrix: run, run -d, the monitor and rm -f killed after each state change",
  ignore: !hasCommand("strace"),
  fn: async () => {
    await withSeededRoot(async (root) => {
      await ok(root, cli("volume create data"));
      Deno.writeTextFileSync(`${root}/volumes/data/_data/f`, DATA);
      // warm deno's module cache: the only renames are then tsbox's own
      await ok(root, cli("run --rm --network none busybox true"));
      await ok(root, ["rm", "-f", (await ok(root, RUN_D)).stdout.trim()]);
      const trials: Record<string, number> = {};
      trials["run"] = await matrix(root, "run", nothing, RUN, { follow: false });
      trials["run -d"] = await matrix(root, "run -d", nothing, RUN_D, { follow: false });
      const create = async () => {
        // a command that ends: the monitor then goes through every state change, exit included
        await ok(
          root,
          cli("create --network none -m 64m -v data:/data --name mon busybox md5sum /data/f"),
        );
      };
      trials["monitor"] = await matrix(root, "monitor", create, cli("start mon"), { follow: true });
      const running = async () => {
        await ok(root, RUN_D);
      };
      trials["rm -f"] = await matrix(root, "rm -f", running, cli("rm -f bg"), { follow: false });
      // the teardown after the trash rename: cgroup dirs, then the tree, one rmdir at a time
      trials["rm -f (rmdir)"] = await matrix(root, "rm -f", running, cli("rm -f bg"), {
        follow: false,
        syscall: "rmdir",
        max: 16,
      });
      console.log("trials per command:", JSON.stringify(trials));
      for (const [k, n] of Object.entries(trials)) assert(n > 0, `${k}: no phase was hit`);
      const final = await tsbox(root, cli("ps -aq"));
      assertEquals(final.stdout, "");
    });
  },
});

/** Files under `dir` (recursive, relative), [] when missing. */
function filesUnder(dir: string, prefix = ""): string[] {
  return names(dir).flatMap((n) => {
    const p = `${dir}/${n}`;
    return Deno.statSync(p).isDirectory ? filesUnder(p, `${prefix}${n}/`) : [`${prefix}${n}`];
  });
}

function run(cmd: string, args: string[]): string {
  const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).outputSync();
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "kill matrix: a run on the default bridge killed after each state change leaks no network",
  ignore: !hasCommand("strace"),
  fn: async () => {
    await withSeededRoot(async (root) => {
      try {
        await ok(root, cli("volume create data"));
        Deno.writeTextFileSync(`${root}/volumes/data/_data/f`, DATA);
        await ok(root, cli("run --rm -v data:/data busybox true")); // warm cache, make the bridge
        const list = readNetwork(pathsFor(root), "bridge");
        assert(list, "the default network was created");
        const bridge = networkInfoOf(list).bridge;
        extraChecks = (what, ids) => {
          const net = `${root}/networks`;
          assertEquals(
            names(`${net}/attachments`).filter((n) => n.endsWith(".json")),
            [],
            `${what}: attachment records left`,
          );
          assertEquals(names(`${net}/netns`), [], `${what}: netns pins left`);
          const leases = filesUnder(`${net}/ipam`).filter((f) => /\/\d+\.\d+\.\d+\.\d+$/.test(f));
          assertEquals(leases, [], `${what}: IP leases left`);
          const veths = JSON.parse(run("ip", ["-j", "link", "show", "master", bridge]) || "[]");
          assertEquals(veths.length, 0, `${what}: veths left on ${bridge}`);
          const rules = run("iptables", ["-t", "nat", "-S"]) + run("iptables", ["-S"]);
          for (const id of ids) {
            assert(!rules.includes(id.slice(0, 12)), `${what}: iptables rules of ${id} left`);
          }
        };
        const n = await matrix(
          root,
          "bridged run",
          nothing,
          cli("run -v data:/data busybox true"),
          {
            follow: false,
          },
        );
        console.log("bridged run: killed after each of", n, "renames");
        assert(n > 8, `only ${n} phases were hit`);
      } finally {
        extraChecks = () => {};
        await tsbox(root, ["network", "rm", "bridge"]);
      }
    });
  },
});
