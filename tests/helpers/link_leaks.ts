/**
 * Host links a test run may leak: tsbox's bridges (`tsbox-<hash>`) and the
 * CNI bridge plugin's host veths (`veth*`). The suite's first file
 * (tests/aa_baseline_test.ts) records those present before any test, in a
 * file keyed by the test process's pid (every test file runs in its own
 * isolate, in one process); the last (zz_leak_check_test.ts) compares.
 * @module
 */

import { join } from "node:path";
import { tmpdir } from "node:os";

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

/** Record the links present before the suite. */
export function recordLinksBaseline(): void {
  Deno.writeTextFileSync(baselineFile(), JSON.stringify(tsboxLinks()));
}

/** The recorded links (and the record removed), or undefined when the suite did not record. */
export function linksBaseline(): string[] | undefined {
  try {
    const links = JSON.parse(Deno.readTextFileSync(baselineFile())) as string[];
    Deno.removeSync(baselineFile());
    return links;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}
