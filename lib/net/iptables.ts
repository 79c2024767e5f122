/**
 * iptables leftovers of one attachment, and the host ports already
 * published through portmap. The CNI plugins remove their own rules on DEL,
 * but the bridge plugin skips its masquerade teardown when the container's
 * netns is already gone (and then fails every later DEL of that container
 * because its chain stays referenced), so tsbox sweeps by the plugins' own
 * naming: comments `name: "<net>" id: "<cid>"` and chains derived from
 * sha512(net + cid). IPv4 only: tsbox networks have no IPv6 subnet.
 * Requires root.
 * @module
 */

import { hexDigest } from "../hex_digest.ts";
import { runCmd, runOk } from "./run_cmd.ts";
import type { PortMapping } from "./types.ts";

/** Chain names the plugins derive for (network, container): bridge ipMasq and portmap DNAT. */
export async function cniChainNames(network: string, containerId: string): Promise<string[]> {
  const h = await hexDigest("SHA-512", network + containerId);
  // libcni FormatChainName / portmap: prefix + hex, cut to 28 chars (iptables' limit is 29)
  return [`CNI-${h}`.slice(0, 28), `CNI-DN-${h}`.slice(0, 28)];
}

/** Split one `iptables -S` line into argv (double quotes with backslash escapes). */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') {
      inWord = true;
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === "\\" && i + 1 < line.length) i++;
        cur += line[i];
      }
    } else if (ch === " ") {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/**
 * Rules (as argv after `-A`) and chains of `rulesText` (`iptables -S`
 * output) that belong to the attachment: tagged with its comment, jumping
 * to or living in its chains, and — only when `ip` is given, i.e. the
 * firewall plugin's own DEL failed — its untagged CNI-FORWARD rules.
 */
export async function leftoversOf(
  rulesText: string,
  network: string,
  containerId: string,
  ip?: string,
): Promise<{ rules: string[][]; chains: string[] }> {
  const chains = await cniChainNames(network, containerId);
  const tag = `name: "${network}" id: "${containerId}"`;
  const rules: string[][] = [];
  const present: string[] = [];
  for (const line of rulesText.split("\n")) {
    const argv = splitRule(line.trim());
    if (argv[0] === "-N" && chains.includes(argv[1])) present.push(argv[1]);
    if (argv[0] !== "-A") continue;
    const jump = argv[argv.indexOf("-j") + 1];
    const tagged = argv.some((a) => a === tag || a === `dnat ${tag}`);
    const firewall = ip !== undefined && argv[1] === "CNI-FORWARD" &&
      argv.some((a, i) => (a === "-s" || a === "-d") && argv[i + 1] === `${ip}/32`);
    if (tagged || firewall || chains.includes(jump) || chains.includes(argv[1])) {
      rules.push(argv.slice(1));
    }
  }
  return { rules, chains: present };
}

/** The tables tsbox's networks leave rules in. */
const TABLES = ["nat", "filter"] as const;

/**
 * Remove every iptables rule and chain left by the attachment, in the nat
 * and filter tables (`ip`: see `leftoversOf`).
 * @returns the tables it found any in: only those need to be looked at
 *   again (nothing else adds rules under this attachment's names).
 * @throws {NetworkError} when iptables fails for another reason than "already gone".
 */
export async function sweepIptables(
  network: string,
  containerId: string,
  ip?: string,
): Promise<string[]> {
  const swept: string[] = [];
  for (const table of TABLES) {
    const { rules, chains } = await leftoversOf(
      await runOk("iptables", ["-t", table, "-S"]),
      network,
      containerId,
      ip,
    );
    if (rules.length || chains.length) swept.push(table);
    // rules that jump into a chain go first, so the chains can then be deleted
    // a rule that is already gone (a concurrent sweep) is checked for again by the caller
    for (const r of rules) await runCmd("iptables", ["-t", table, "-D", ...r, "--wait"]);
    for (const c of chains) {
      await runOk("iptables", ["-t", table, "-F", c, "--wait"]);
      await runOk("iptables", ["-t", table, "-X", c, "--wait"]);
    }
  }
  return swept;
}

/** Host ports published by portmap DNAT rules in `natRules` (`iptables -t nat -S`). */
export function publishedPortsIn(natRules: string): PortMapping[] {
  const out: PortMapping[] = [];
  for (const line of natRules.split("\n")) {
    const argv = splitRule(line.trim());
    if (argv[0] !== "-A" || !argv[1]?.startsWith("CNI-DN-") || !argv.includes("DNAT")) continue;
    const val = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
    const port = Number(val("--dport"));
    const proto = val("-p");
    if (!port || (proto !== "tcp" && proto !== "udp")) continue;
    const d = val("-d");
    out.push({
      hostIP: d ? d.replace(/\/32$/, "") : "",
      hostPort: port,
      containerPort: 0,
      protocol: proto,
    });
  }
  return out;
}

/** Host ports currently published through portmap on this host (any tsbox root, any CNI runtime). */
export async function publishedHostPorts(): Promise<PortMapping[]> {
  const r = await runCmd("iptables", ["-t", "nat", "-S"]);
  // no nat table (module absent) means nothing is published
  return r.code === 0 ? publishedPortsIn(r.stdout) : [];
}
