/**
 * Fixture of the `network connect`/`disconnect` CLI tests: a temporary
 * state root with a busybox image and bridge networks of fixed subnets
 * (10.77.6x.0/24, used by no other test), and a cleanup that removes every
 * container (force-killing what `rm -f` could not), detaches whatever is
 * still attached, removes the networks and their bridges, even when the
 * test failed half-way. Plus what the tests look at on the host: veths on a
 * bridge, leases, iptables rules, netns pins, attachment records, cgroups.
 * Requires root.
 * @module
 */

import { join } from "node:path";
import { assertEquals } from "../helpers/assert.ts";
import { removeTree, tsbox, type TsboxOptions } from "../helpers/tsbox.ts";
import { cgroupsOf } from "../helpers/cgroup_leaks.ts";
import { seedImage } from "../run/_image.ts";
import { forceCleanup, readDirNames } from "../run/_containers.ts";
import { pathsFor } from "../../lib/paths.ts";
import { detachNetwork, listAttachments } from "../../lib/net/mod.ts";
import { bridgeNameFor, bridgePorts, deleteBridge } from "../../lib/net/bridge.ts";
import { leasedIPs } from "../../lib/net/leases.ts";

/** Run the CLI and require exit 0; returns stdout. */
export async function ok(root: string, args: string[], opts?: TsboxOptions): Promise<string> {
  const r = await tsbox(root, args, opts);
  assertEquals(r.code, 0, `tsbox ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Full id of container `name`. */
export async function idOf(root: string, name: string): Promise<string> {
  return (await ok(root, ["inspect", "-f", "{{.Id}}", name])).trim();
}

/** Output of `exec NAME cmd…` (exit code and stdout). */
export async function execIn(
  root: string,
  name: string,
  cmd: string[],
): Promise<{ code: number; out: string }> {
  const r = await tsbox(root, ["exec", name, ...cmd]);
  return { code: r.code, out: r.stdout + r.stderr };
}

/** The IPv4 address of `ifname` in container `name` (without the prefix), or "". */
export async function addrOf(root: string, name: string, ifname: string): Promise<string> {
  const r = await execIn(root, name, ["ip", "-4", "-o", "addr", "show", "dev", ifname]);
  return r.code === 0 ? (/inet (\d+\.\d+\.\d+\.\d+)\//.exec(r.out)?.[1] ?? "") : "";
}

/** Host-side veths on network `net`'s bridge. */
export async function vethsOn(root: string, net: string): Promise<string[]> {
  return await bridgePorts(await bridgeNameFor(root, net));
}

/** Addresses leased on network `net`. */
export function leasesOn(root: string, net: string): string[] {
  return leasedIPs(join(root, "networks", "ipam", net)).sort();
}

/** Attachment records and netns pins of the root. */
export function netState(root: string): { records: string[]; pins: string[] } {
  return {
    records: readDirNames(join(root, "networks", "attachments")).filter((n) => n.endsWith(".json"))
      .sort(),
    pins: readDirNames(join(root, "networks", "netns")).sort(),
  };
}

/** The nat and filter rules of the host. */
export function iptablesText(): string {
  const run = (args: string[]) =>
    new TextDecoder().decode(
      new Deno.Command("iptables", { args, stdout: "piped" }).outputSync().stdout,
    );
  return run(["-t", "nat", "-S"]) + run(["-S"]);
}

/** Fail when an iptables rule names one of `ids` or `ips`. */
export function assertNoRules(ids: string[], ips: string[]): void {
  const text = iptablesText();
  const hits = text.split("\n").filter((l) =>
    ids.some((id) => l.includes(id)) || ips.some((ip) => l.includes(`${ip}/32`))
  );
  assertEquals(hits, [], "iptables rules left");
}

/** Fail when a cgroup of one of `ids` is left. */
export function assertNoCgroups(ids: string[]): void {
  assertEquals(ids.flatMap(cgroupsOf), [], "cgroups left");
}

/**
 * Run `fn` with a fresh root holding busybox and the networks `nets`
 * (name → subnet); everything is removed afterwards.
 */
export async function withConnectRoot(
  nets: Record<string, string>,
  fn: (root: string) => Promise<void>,
): Promise<void> {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-conntest-" });
  let failure: { err: unknown } | undefined;
  try {
    await seedImage(root);
    for (const [name, subnet] of Object.entries(nets)) {
      await ok(root, ["network", "create", "--subnet", subnet, name]);
    }
    await fn(root);
  } catch (err) {
    failure = { err };
  }
  // cleanup runs whether or not the test failed; a test failure wins over a cleanup failure
  const errors: unknown[] = [];
  const ids = readDirNames(join(root, "containers")).filter((n) => /^[0-9a-f]{64}$/.test(n));
  const pids = ids.map((id) => {
    try {
      return JSON.parse(Deno.readTextFileSync(join(root, "containers", id, "state.json"))).pid ?? 0;
    } catch (err) {
      // no readable state: nothing to kill by pid
      if (err instanceof Deno.errors.NotFound || err instanceof SyntaxError) return 0;
      throw err;
    }
  });
  if (ids.length && (await tsbox(root, ["rm", "-f", ...ids])).code !== 0) {
    for (const [i, id] of ids.entries()) await forceCleanup(id, pids[i]);
  }
  const paths = pathsFor(root);
  for (const a of listAttachments(paths)) {
    await detachNetwork(paths, a).catch((e) => errors.push(e));
  }
  for (const name of Object.keys(nets)) {
    const r = await tsbox(root, ["network", "rm", name]);
    if (r.code !== 0) errors.push(new Error(`network rm ${name}: ${r.stderr}`));
    await deleteBridge(await bridgeNameFor(root, name));
  }
  try {
    await removeTree(root);
  } catch (err) {
    errors.push(err);
  }
  if (failure) throw failure.err;
  if (errors.length) throw errors[0];
}
