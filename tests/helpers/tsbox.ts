/**
 * Test helpers: run the tsbox CLI (through `deno run`, exactly the code the
 * compiled binary holds) against a temporary state root.
 * @module
 */

import { fromFileUrl } from "../../lib/url.ts";
import { selfCommand, V8_FLAGS } from "../../lib/self.ts";
import { pathsFor } from "../../lib/paths.ts";
import { listNetworks } from "../../lib/net/store.ts";
import { networkInfoOf } from "../../lib/net/conflist.ts";
import { deleteBridge } from "../../lib/net/bridge.ts";

/**
 * The deno running the tests (`Deno.execPath()` panics where /proc is not
 * mounted; `selfCommand` reads /proc/self/exe itself and falls back to PATH).
 */
export const DENO = selfCommand(Deno.env.get("PATH") ?? "")[0];

/** Absolute path of the source tree's main.ts. */
export const SOURCE_MAIN = fromFileUrl(new URL("../../main.ts", import.meta.url));

/**
 * The main module the CLI runs from: the source tree's main.ts, or the
 * bundled build's main.js (tools/bundle.ts) with `TSBOX_TEST_MAIN=dist/main.js`
 * or `useMain` (the bench's choice).
 */
export let MAIN = Deno.env.get("TSBOX_TEST_MAIN") || SOURCE_MAIN;

/** Run the CLI from `main` (a main.ts or a bundle's main.js) from now on. */
export function useMain(main: string): void {
  MAIN = main;
}

/** The runc-style wrapper that runs the same code as `MAIN`: the bundle's, or the repository's. */
export function runcWrapper(): string {
  return MAIN === SOURCE_MAIN
    ? fromFileUrl(new URL("../../tsbox-runc", import.meta.url))
    : MAIN.replace(/main\.js$/, "tsbox-runc");
}

/** argv (after `deno`) that runs the CLI with state root `root`: `run -A … main.ts --root R …args`. */
export function tsboxArgv(root: string, args: string[], main = MAIN): string[] {
  // tsbox's own V8 flags, as the processes it starts get them (lib/self.ts)
  return ["run", "-A", "--quiet", `--v8-flags=${V8_FLAGS}`, main, "--root", root, ...args];
}

/** Result of one CLI run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for `tsbox()`. */
export interface TsboxOptions {
  /** Bytes or text fed to stdin (stdin is /dev/null otherwise). */
  stdin?: string | Uint8Array;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Kill after this many ms (default 120 s) so a hung test cannot hang CI. */
  timeoutMs?: number;
  /** Working directory of the CLI (default: the test's). */
  cwd?: string;
  /** The main module to run (default `MAIN`). */
  main?: string;
}

/** Run `tsbox --root <root> ...args` and collect its output. */
export async function tsbox(
  root: string,
  args: string[],
  opts: TsboxOptions = {},
): Promise<RunResult> {
  const cmd = new Deno.Command(DENO, {
    args: tsboxArgv(root, args, opts.main),
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: opts.env,
    cwd: opts.cwd,
  });
  const child = cmd.spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch (err) {
      // already exited between the timeout firing and the kill
      if (!(err instanceof TypeError)) throw err;
    }
  }, opts.timeoutMs ?? 120_000);
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(
      typeof opts.stdin === "string" ? new TextEncoder().encode(opts.stdin) : opts.stdin,
    );
    await w.close();
  }
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * A fresh temporary state root for one test; removed afterwards (the
 * callback's own cleanup runs first, so nothing mounted is ever removed).
 */
export async function withRoot<T>(fn: (root: string) => Promise<T>): Promise<T> {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-test-" });
  try {
    return await fn(root);
  } finally {
    await removeTree(root);
  }
}

/**
 * Remove a test root only if nothing is mounted below it (refuse otherwise,
 * so a leaked mount fails the test loudly instead of deleting through it).
 */
export async function removeTree(path: string): Promise<void> {
  const mounts = Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .map((l) => l.split(" ")[4]).filter((p) => p && (p === path || p.startsWith(path + "/")));
  if (mounts.length) {
    throw new Error(`refusing to remove ${path}: still mounted: ${mounts.join(", ")}`);
  }
  await removeBridgesOf(path);
  await Deno.remove(path, { recursive: true });
}

/**
 * A state root's networks live on as host bridges (tsbox-<hash of root and
 * name>, as docker0 outlives containers): a test root takes its own with it.
 */
async function removeBridgesOf(root: string): Promise<void> {
  for (const list of listNetworks(pathsFor(root))) {
    if (list.plugins.some((p) => p.type === "bridge")) {
      await deleteBridge(networkInfoOf(list).bridge);
    }
  }
}

/** Commands available on the host (tests that need a tool skip cleanly without it). */
export function hasCommand(name: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      Deno.statSync(`${dir}/${name}`);
      return true;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return false;
}
