/**
 * The host's iptables rules of tsbox's bridge networks: one set per
 * network, as docker keeps one per bridge, instead of the CNI bridge
 * plugin's masquerade chain and the firewall plugin's two rules per
 * container. A bridged start then runs one `iptables-save` where the
 * plugins ran 17 iptables processes, and its teardown none where they ran 9.
 *
 *   filter TSBOX-FORWARD (jumped to first from FORWARD, so a DROP policy —
 *   docker's — still lets the networks through):
 *     -o BR -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT   replies in
 *     -i BR -j ACCEPT                                              out, and between containers
 *                                                                  (internal: -i BR -o BR only)
 *   nat TSBOX-POSTROUTING (from POSTROUTING):
 *     -s SUBNET ! -o BR -j MASQUERADE                              not for an internal network
 *
 * Each rule carries the comment `tsbox:BR:<what>`, by which it is found
 * again. An attach checks that its network's rules are there (one
 * `iptables-save`) and adds what is missing (one `iptables-restore`), so
 * a reboot or a flush is repaired at the next start, as the per-container
 * rules were; removing the bridge removes them, and the chains and jumps
 * once no network is left in them. Changes are made under a host-wide lock
 * (every state root shares the host's tables). IPv4 only, root only.
 * @module
 */

import { withLock } from "../fsutil.ts";
import { splitRule } from "./iptables.ts";
import { runOk } from "./run_cmd.ts";

/** tsbox's chain in the filter table, jumped to from FORWARD. */
export const FORWARD_CHAIN = "TSBOX-FORWARD";
/** tsbox's chain in the nat table, jumped to from POSTROUTING. */
export const NAT_CHAIN = "TSBOX-POSTROUTING";

/** Serializes changes by tsbox processes of any state root. */
const HOST_LOCK = "/run/lock/tsbox-iptables.lock";

type Table = "filter" | "nat";

/** What a network's rules depend on. */
export interface NetworkRulesOf {
  bridge: string;
  subnet: string;
  internal: boolean;
}

/** One rule: its table, chain, tag (comment) and the arguments after `-A CHAIN`. */
export interface HostRule {
  table: Table;
  chain: string;
  tag: string;
  args: string[];
}

/** The tag prefix of every rule of bridge `bridge`. */
function tagPrefix(bridge: string): string {
  return `tsbox:${bridge}:`;
}

/** The rules network `n` needs (pure). */
export function networkRules(n: NetworkRulesOf): HostRule[] {
  const br = n.bridge;
  const rule = (table: Table, chain: string, what: string, match: string[], target: string) => {
    const tag = tagPrefix(br) + what;
    return { table, chain, tag, args: [...match, "-m", "comment", "--comment", tag, "-j", target] };
  };
  const rules = [
    rule("filter", FORWARD_CHAIN, "replies", [
      "-o",
      br,
      "-m",
      "conntrack",
      "--ctstate",
      "RELATED,ESTABLISHED",
    ], "ACCEPT"),
    rule("filter", FORWARD_CHAIN, "from", n.internal ? ["-i", br, "-o", br] : ["-i", br], "ACCEPT"),
  ];
  if (!n.internal) {
    rules.push(rule("nat", NAT_CHAIN, "masquerade", ["-s", n.subnet, "!", "-o", br], "MASQUERADE"));
  }
  return rules;
}

/** One table of `iptables-save` output: its chains and its rules (argv after `-A`). */
export interface SavedTable {
  chains: Set<string>;
  rules: string[][];
}

/** Parse `iptables-save` output (pure). */
export function parseSave(text: string): Map<string, SavedTable> {
  const tables = new Map<string, SavedTable>();
  let cur: SavedTable | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("*")) {
      cur = { chains: new Set(), rules: [] };
      tables.set(line.slice(1), cur);
    } else if (!cur) continue;
    else if (line.startsWith(":")) cur.chains.add(line.slice(1).split(" ")[0]);
    else if (line.startsWith("-A ")) cur.rules.push(splitRule(line.slice(3)));
  }
  return tables;
}

/** The comment of a saved rule (argv after `-A`), if any. */
function commentOf(rule: string[]): string | undefined {
  const i = rule.indexOf("--comment");
  return i >= 0 ? rule[i + 1] : undefined;
}

/** Where each of tsbox's chains is jumped to from. */
const JUMPS: Record<Table, { chain: string; from: string; insert: boolean }> = {
  // first in FORWARD: ahead of a DROP rule another firewall appends
  filter: { chain: FORWARD_CHAIN, from: "FORWARD", insert: true },
  nat: { chain: NAT_CHAIN, from: "POSTROUTING", insert: false },
};

function isJump(rule: string[], j: { chain: string; from: string }): boolean {
  return rule.length === 3 && rule[0] === j.from && rule[1] === "-j" && rule[2] === j.chain;
}

/** An argv as one `iptables-restore` line (arguments quoted). */
function restoreLine(argv: string[]): string {
  return argv.map((a) => /^[A-Za-z0-9_.:,/!-]+$/.test(a) ? a : JSON.stringify(a)).join(" ");
}

/**
 * The `iptables-restore --noflush` input that adds what of `want` `saved`
 * lacks — tsbox's chains, their jumps, the rules — or undefined when
 * nothing is missing (pure). Only missing chains are declared: declaring
 * one that exists would flush it.
 */
export function additions(saved: Map<string, SavedTable>, want: HostRule[]): string | undefined {
  const out: string[] = [];
  for (const table of ["filter", "nat"] as const) {
    const rules = want.filter((r) => r.table === table);
    if (!rules.length) continue;
    const t = saved.get(table) ?? { chains: new Set<string>(), rules: [] };
    const j = JUMPS[table];
    const lines: string[] = [];
    if (!t.chains.has(j.chain)) lines.push(`:${j.chain} - [0:0]`);
    if (!t.rules.some((r) => isJump(r, j))) {
      lines.push(j.insert ? `-I ${j.from} 1 -j ${j.chain}` : `-A ${j.from} -j ${j.chain}`);
    }
    const have = new Set(t.rules.filter((r) => r[0] === j.chain).map(commentOf));
    for (const r of rules) {
      if (!have.has(r.tag)) lines.push(restoreLine(["-A", r.chain, ...r.args]));
    }
    if (lines.length) out.push(`*${table}`, ...lines, "COMMIT");
  }
  return out.length ? out.join("\n") + "\n" : undefined;
}

/**
 * The `iptables-restore --noflush` input that deletes every rule of
 * bridge `bridge`, and a chain of tsbox's with its jumps once nothing
 * else is left in it; undefined when there is nothing to delete (pure).
 */
export function removals(saved: Map<string, SavedTable>, bridge: string): string | undefined {
  const out: string[] = [];
  for (const table of ["filter", "nat"] as const) {
    const t = saved.get(table);
    const j = JUMPS[table];
    if (!t?.chains.has(j.chain)) continue;
    const inChain = t.rules.filter((r) => r[0] === j.chain);
    const ours = inChain.filter((r) => commentOf(r)?.startsWith(tagPrefix(bridge)));
    if (!ours.length) continue;
    const lines = ours.map((r) => restoreLine(["-D", ...r]));
    if (ours.length === inChain.length) {
      for (const r of t.rules.filter((r) => isJump(r, j))) lines.push(restoreLine(["-D", ...r]));
      lines.push(`-X ${j.chain}`);
    }
    out.push(`*${table}`, ...lines, "COMMIT");
  }
  return out.length ? out.join("\n") + "\n" : undefined;
}

async function saved(): Promise<Map<string, SavedTable>> {
  return parseSave(await runOk("iptables-save", []));
}

async function restore(input: string): Promise<void> {
  await runOk("iptables-restore", ["--noflush", "--wait"], input);
}

/**
 * Make sure network `n`'s rules are on the host: one `iptables-save` when
 * they are, and then, under the host lock, another and one `iptables-restore`.
 * @throws {NetworkError} iptables failed.
 */
export async function ensureNetworkRules(n: NetworkRulesOf): Promise<void> {
  const want = networkRules(n);
  if (additions(await saved(), want) === undefined) return;
  await withLock(HOST_LOCK, async () => {
    const add = additions(await saved(), want);
    if (add !== undefined) await restore(add);
  });
}

/**
 * Remove bridge `bridge`'s rules from the host (none is fine), and tsbox's
 * chains once they are empty.
 * @throws {NetworkError} iptables failed.
 */
export async function removeNetworkRules(bridge: string): Promise<void> {
  await withLock(HOST_LOCK, async () => {
    const del = removals(await saved(), bridge);
    if (del !== undefined) await restore(del);
  });
}

/** The bridges that have rules on the host (for leak checks). */
export async function bridgesWithRules(): Promise<string[]> {
  const out = new Set<string>();
  for (const t of (await saved()).values()) {
    for (const r of t.rules) {
      const m = /^tsbox:(.+):[a-z]+$/.exec(commentOf(r) ?? "");
      if (m) out.add(m[1]);
    }
  }
  return [...out].sort();
}
