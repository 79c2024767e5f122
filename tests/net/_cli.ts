/**
 * CLI runner and safe tree removal for the network tests (local copies so
 * these tests do not depend on the shared helpers' state while they change).
 * @module
 */

import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url).href);

/** Run `tsbox --root <root> ...args` (killed after `timeoutMs`). */
export async function tsboxCli(
  root: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, "--root", root, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Remove a test root, refusing when anything is still mounted below it. */
export async function removeTestRoot(path: string): Promise<void> {
  const mounts = Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .map((l) => l.split(" ")[4]).filter((p) => p && (p === path || p.startsWith(path + "/")));
  if (mounts.length) {
    throw new Error(`refusing to remove ${path}: still mounted: ${mounts.join(", ")}`);
  }
  await Deno.remove(path, { recursive: true });
}
