/**
 * What each hidden entry loads. tsbox re-executes itself as `__init`,
 * `__exec`, `__monitor`, `__runc` and `__cp`; each start pays Deno's
 * module loading again, so an entry must load only what it runs. Deno
 * reads (at start) every module reachable through static imports and
 * through string-literal `import("…")`, called or not; type-only imports
 * are not loaded. The graphs come from `deno info --json`, walked that way.
 * No root needed; nothing is written.
 */

import { assert, assertEquals } from "../helpers/assert.ts";
import { commandModules, COMMANDS, HIDDEN } from "../../lib/cli/commands.ts";
import { fromFileUrl } from "../../lib/url.ts";

const REPO = new URL("../../", import.meta.url);
/** The table's module paths are relative to it. */
const COMMANDS_URL = new URL("lib/cli/commands.ts", REPO);

interface Dep {
  code?: { specifier: string };
  isDynamic?: boolean;
}

interface Graph {
  /** module (repo-relative path, or `npm:name@version` / `node:name`) → who imports it. */
  parent: Map<string, string | undefined>;
}

function short(specifier: string): string {
  if (specifier.startsWith(REPO.href)) return specifier.slice(REPO.href.length);
  return specifier.replace(/^npm:\//, "npm:");
}

/**
 * The modules Deno loads for `module` (repo-relative): code imports, and
 * literal dynamic imports unless `dynamic` is false.
 */
function moduleGraph(module: string, dynamic = true): Graph {
  const out = new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", module],
    cwd: fromFileUrl(REPO),
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const err = new TextDecoder().decode(out.stderr);
  assert(out.success, `deno info ${module} failed: ${err}`);
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  const redirects: Record<string, string> = info.redirects ?? {};
  const byName = new Map<string, { dependencies?: Dep[] }>(
    info.modules.map((m: { specifier: string }) => [m.specifier, m]),
  );
  const parent = new Map<string, string | undefined>();
  const queue: [string, string | undefined][] = [[info.roots[0], undefined]];
  while (queue.length) {
    const [raw, from] = queue.shift()!;
    const s = redirects[raw] ?? raw;
    if (parent.has(short(s))) continue;
    parent.set(short(s), from);
    for (const d of byName.get(s)?.dependencies ?? []) {
      if (d.code && (dynamic || !d.isDynamic)) queue.push([d.code.specifier, short(s)]);
    }
  }
  return { parent };
}

/** `a → b → c`: how `module` got into the graph. */
function chain(g: Graph, module: string): string {
  const path = [module];
  for (let p = g.parent.get(module); p; p = g.parent.get(p)) path.unshift(p);
  return path.join(" → ");
}

/** What `tsbox <hidden>` loads: main.ts's graph, then the entry's. */
function entryGraph(hidden: string): Graph {
  const g = moduleGraph("main.ts");
  const entry = short(new URL(HIDDEN[hidden].module, COMMANDS_URL).href);
  for (const [m, p] of moduleGraph(entry).parent) {
    if (!g.parent.has(m)) g.parent.set(m, p ?? `main.ts ⇢ ${hidden}`);
  }
  return g;
}

/** The public commands' modules (`run.ts`, `pull.ts`, …). */
const commandFiles = Object.values(COMMANDS).map((c) =>
  short(new URL(c.module, COMMANDS_URL).href)
);

/** A rule: modules under these prefixes (or exactly these files) must not load. */
type Rule = (m: string) => boolean;
const under = (...prefixes: string[]): Rule => (m) => prefixes.some((p) => m.startsWith(p));
const commandModule: Rule = (m) => commandFiles.includes(m);

/** lib/cli/ but the dispatch table main.ts holds (it imports nothing at run time; tested below). */
const CLI: Rule = (m) => m.startsWith("lib/cli/") && m !== "lib/cli/commands.ts";
const REGISTRY_BUILD_TEMPLATE = under("lib/registry/", "lib/build/", "lib/template/");
const TAR_STREAM = under("npm:tar-stream");
/** The seccomp compiler (libseccomp, profile validation): the parent compiles, entries install. */
const SECCOMP_COMPILER = under("lib/seccomp/load.ts", "ffi/seccomp_filter.ts");

/**
 * Node builtins: the first `node:` import costs a process ~5 ms (node:crypto
 * ~17 ms) of start-up; main.ts, the init, exec and cp use lib/posix_path.ts.
 */
const NODE_BUILTIN = under("node:");

const FORBIDDEN: Record<string, Rule[]> = {
  // bringing `lo` up is ffi/netif.ts; nothing of lib/net/ runs in the init
  "__init": [
    NODE_BUILTIN,
    REGISTRY_BUILD_TEMPLATE,
    TAR_STREAM,
    SECCOMP_COMPILER,
    CLI,
    under("lib/net/", "lib/image/", "lib/specgen/", "lib/cgroup/"),
  ],
  "__exec": [
    NODE_BUILTIN,
    REGISTRY_BUILD_TEMPLATE,
    TAR_STREAM,
    SECCOMP_COMPILER,
    CLI,
    under("lib/net/", "lib/image/", "lib/specgen/", "lib/cgroup/"),
  ],
  // restarts run startContainer: network attach and cgroups are what it runs
  "__monitor": [REGISTRY_BUILD_TEMPLATE, TAR_STREAM, commandModule, under("lib/copy/")],
  "__runc": [REGISTRY_BUILD_TEMPLATE, TAR_STREAM, commandModule, under("lib/net/", "lib/image/")],
  "__cp": [NODE_BUILTIN, REGISTRY_BUILD_TEMPLATE, TAR_STREAM, CLI, under("lib/net/")],
};

/** The forbidden modules of `g` under `rules`, each with the chain that pulls it in. */
function violations(g: Graph, rules: Rule[]): string[] {
  return [...g.parent.keys()].filter((m) => rules.some((r) => r(m))).map((m) => chain(g, m));
}

Deno.test("hidden entries: every one has rules", () => {
  assertEquals(Object.keys(HIDDEN).sort(), Object.keys(FORBIDDEN).sort());
});

for (const [hidden, rules] of Object.entries(FORBIDDEN)) {
  Deno.test(`${hidden}: loads none of the modules it does not run`, () => {
    const g = entryGraph(hidden);
    assert(g.parent.size > 5, `${hidden}: graph looks empty (${[...g.parent.keys()]})`);
    const bad = violations(g, rules);
    assertEquals(bad, [], `${hidden} loads:\n  ${bad.join("\n  ")}`);
  });
}

Deno.test("main.ts: loads no command or entry module before dispatch", () => {
  const all = moduleGraph("main.ts");
  const stat = moduleGraph("main.ts", false);
  // a literal import("…") anywhere in main.ts's graph makes Deno read its target at every start
  const preloaded = [...all.parent.keys()].filter((m) => !stat.parent.has(m)).map((m) =>
    chain(all, m)
  );
  assertEquals(preloaded, [], `main.ts preloads through import():\n  ${preloaded.join("\n  ")}`);
  const entries = commandModules().map((u) => short(u.href));
  const loaded = entries.filter((e) => all.parent.has(e)).map((e) => chain(all, e));
  assertEquals(loaded, [], `main.ts loads command modules:\n  ${loaded.join("\n  ")}`);
  const heavy = violations(all, [
    NODE_BUILTIN,
    REGISTRY_BUILD_TEMPLATE,
    TAR_STREAM,
    CLI,
    under("lib/init/", "lib/container/", "lib/net/", "lib/image/", "volumes/"),
  ]);
  assertEquals(heavy, [], `main.ts loads:\n  ${heavy.join("\n  ")}`);
});

Deno.test("commands.ts: the dispatch table imports nothing at run time", () => {
  assertEquals([...moduleGraph("lib/cli/commands.ts").parent.keys()], ["lib/cli/commands.ts"]);
});

Deno.test("commandModules: every table module exists and exports main", async () => {
  for (const url of commandModules()) {
    const mod = await import(url.href);
    assertEquals(typeof mod.main, "function", `${short(url.href)} exports no main`);
  }
});
