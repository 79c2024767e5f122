/**
 * Host links a test run may leak: tsbox's bridges (`tsbox-<hash>`) and the
 * CNI bridge plugin's host veths (`veth*`), and the networks' iptables rules. The suite's first file
 * (tests/aa_baseline_test.ts) records those present before any test, in a
 * file keyed by the test process's pid (every test file runs in its own
 * isolate, in one process); the last (zz_leak_check_test.ts) compares.
 * @module
 */

import { join } from "node:path";
import { tmpdir } from "node:os";
import { bridgesWithRules } from "../../lib/net/host_rules.ts";

/** tsbox's links on the host now. */
export function tsboxLinks(): string[] {
  const out = new Deno.Command("ip", { args: ["-o", "link", "show"], stdout: "piped" })
    .outputSync();
  return new TextDecoder().decode(out.stdout).split("\n")
    .map((l) => l.split(": ")[1]?.split("@")[0])
    .filter((n): n is string => n !== undefined && /^(tsbox-|veth)/.test(n));
}

function baselineFile(): string {
  return join(tmpdir(), `tsbox-link-baseline-${Deno.pid}.json`);
}

/** What the baseline holds: links, and bridges with iptables rules. */
export interface LinksBaseline {
  links: string[];
  rules: string[];
}

/** Record the links and rules present before the suite. */
export async function recordLinksBaseline(): Promise<void> {
  const base: LinksBaseline = { links: tsboxLinks(), rules: await bridgesWithRules() };
  Deno.writeTextFileSync(baselineFile(), JSON.stringify(base));
}

/** The recorded baseline (and the record removed), or undefined when the suite did not record. */
export function linksBaseline(): LinksBaseline | undefined {
  try {
    const links = JSON.parse(Deno.readTextFileSync(baselineFile())) as LinksBaseline;
    Deno.removeSync(baselineFile());
    return links;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}
