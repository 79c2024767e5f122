/**
 * The host side of a bridge network: its interface name and its creation
 * and removal (with its iptables rules). `network create` makes the bridge with the gateway address
 * at once (as docker does) so the subnet shows in the host's routes and
 * later subnet choices avoid it; the bridge plugin then finds it ready.
 * Requires root and iproute2.
 * @module
 */

import { hexDigest } from "../hex_digest.ts";
import { NetworkError } from "../errors.ts";
import { DEFAULT_ROOT } from "../paths.ts";
import { runCmd, runOk } from "./run_cmd.ts";
import { DEFAULT_NETWORK } from "./options.ts";
import { removeNetworkRules } from "./host_rules.ts";

/** Longest Linux interface name. */
export const IFNAMSIZ_MAX = 15;

/**
 * Bridge name of network `name` under state root `root`: `tsbox0` for the
 * default network of the default root, else `tsbox-<9 hex>` from a hash of
 * root and name, so networks of different roots (tests) never share a bridge.
 */
export async function bridgeNameFor(root: string, name: string): Promise<string> {
  if (root === DEFAULT_ROOT && name === DEFAULT_NETWORK) return "tsbox0";
  return "tsbox-" + (await hexDigest("SHA-256", `${root}\0${name}`)).slice(0, 9);
}

/** Link details from `ip -j link`, or `undefined` when there is no such link. */
export async function linkInfo(
  name: string,
): Promise<{ kind?: string; ifname: string } | undefined> {
  const r = await runCmd("ip", ["-d", "-j", "link", "show", "dev", name]);
  if (r.code !== 0) return undefined; // "Device does not exist"
  const [l] = JSON.parse(r.stdout) as { ifname: string; linkinfo?: { info_kind?: string } }[];
  return l ? { ifname: l.ifname, kind: l.linkinfo?.info_kind } : undefined;
}

/** Names of the interfaces enslaved to bridge `name`. */
export async function bridgePorts(name: string): Promise<string[]> {
  const r = await runCmd("ip", ["-j", "link", "show", "master", name]);
  if (r.code !== 0) return [];
  return (JSON.parse(r.stdout || "[]") as { ifname: string }[]).map((l) => l.ifname);
}

/**
 * Create bridge `name` with `gateway/prefixLen` and bring it up. A stale
 * bridge of the same name without ports is replaced.
 * @throws {NetworkError} the name is taken by another kind of link or a bridge in use.
 */
export async function createBridge(
  name: string,
  gateway: string,
  prefixLen: number,
): Promise<void> {
  const existing = await linkInfo(name);
  if (existing) {
    if (existing.kind !== "bridge" || (await bridgePorts(name)).length) {
      throw new NetworkError(`interface ${name} already exists on the host`, {
        op: "network create",
      });
    }
    await runOk("ip", ["link", "del", "dev", name]); // left over by an earlier network of this name
  }
  await runOk("ip", ["link", "add", "name", name, "type", "bridge"]);
  try {
    await runOk("ip", ["addr", "add", `${gateway}/${prefixLen}`, "dev", name]);
    await runOk("ip", ["link", "set", "dev", name, "up"]);
  } catch (err) {
    await deleteBridge(name);
    throw err;
  }
}

/**
 * Delete bridge `name` if it exists (it is not ours to delete when it is
 * not a bridge), and its network's iptables rules (lib/net/host_rules.ts).
 */
export async function deleteBridge(name: string): Promise<void> {
  const l = await linkInfo(name);
  if (l?.kind === "bridge") await runOk("ip", ["link", "del", "dev", name]);
  await removeNetworkRules(name);
}
