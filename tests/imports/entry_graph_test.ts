/**
 * What each hidden entry loads. tsbox re-executes itself as `__init`,
 * `__exec`, `__monitor`, `__runc` and `__cp`; each start pays Deno's
 * module loading again, so an entry must load only what it runs — as must
 * `tsbox run` itself (the registry, CNI, the seccomp compiler and layer
 * unpacking are loaded lazily, lib/lazy.ts, when a run needs them). Deno
 * reads (at start) every module reachable through static imports and
 * through string-literal `import("…")`, called or not; type-only imports
 * are not loaded. The graphs come from `deno info --json`, walked that way.
 * No root needed; nothing is written.
 */

import { assert, assertEquals } from "../helpers/assert.ts";
import { commandModules, COMMANDS, HIDDEN } from "../../lib/cli/commands.ts";
import { lazyModules } from "../../lib/lazy.ts";
import { compileIncludes } from "../../tools/includes.ts";
import { fromFileUrl } from "../../lib/url.ts";

const REPO = new URL("../../", import.meta.url);

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

/** What `tsbox <name>` loads: main.ts's graph, then the table entry's. */
function entryGraph(name: string): Graph {
  const g = moduleGraph("main.ts");
  const entry = (HIDDEN[name] ?? COMMANDS[name]).module;
  for (const [m, p] of moduleGraph(entry).parent) {
    if (!g.parent.has(m)) g.parent.set(m, p ?? `main.ts ⇢ ${name}`);
  }
  return g;
}

/** The public commands' modules (`run.ts`, `pull.ts`, …). */
const commandFiles = Object.values(COMMANDS).map((c) => c.module);

/** A rule: modules under these prefixes (or exactly these files) must not load. */
type Rule = (m: string) => boolean;
const under = (...prefixes: string[]): Rule => (m) => prefixes.some((p) => m.startsWith(p));
const commandModule: Rule = (m) => commandFiles.includes(m);

/** The lazily loaded modules (lib/lazy.ts), repo-relative. */
const lazyFiles = lazyModules().map((u) => short(u.href));
/** A lazily loaded module in a static graph: the laziness is lost. */
const LAZY: Rule = (m) => lazyFiles.includes(m);

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
  // (CNI itself and the seccomp compiler load lazily, when a restart needs them)
  "__monitor": [
    NODE_BUILTIN,
    REGISTRY_BUILD_TEMPLATE,
    TAR_STREAM,
    SECCOMP_COMPILER,
    commandModule,
    under("lib/copy/"),
  ],
  "__runc": [
    NODE_BUILTIN,
    REGISTRY_BUILD_TEMPLATE,
    TAR_STREAM,
    SECCOMP_COMPILER,
    commandModule,
    under("lib/net/", "lib/image/"),
  ],
  "__cp": [NODE_BUILTIN, REGISTRY_BUILD_TEMPLATE, TAR_STREAM, CLI, under("lib/net/")],
  // conmon's exit command: records the exit, tears down (network detach), --rm, restarts
  "__conmon-exit": [
    NODE_BUILTIN,
    REGISTRY_BUILD_TEMPLATE,
    TAR_STREAM,
    SECCOMP_COMPILER,
    commandModule,
    under("lib/copy/"),
  ],
};

/**
 * `tsbox run` (any run: these rules hold for `run --rm --network none
 * busybox true`, which loads nothing else). Pulling, CNI (bridge), the
 * seccomp compiler (a cache miss) and layer unpacking load lazily.
 */
const RUN_FORBIDDEN: Rule[] = [
  NODE_BUILTIN,
  REGISTRY_BUILD_TEMPLATE,
  TAR_STREAM,
  SECCOMP_COMPILER,
  LAZY,
  // what only a bridged container runs (mod.ts, records, hosts files and options stay)
  under(
    "lib/net/attach.ts",
    "lib/net/prepare.ts",
    "lib/net/cni",
    "lib/net/conflist.ts",
    "lib/net/plugins.ts",
    "lib/net/iptables.ts",
    "lib/net/hostports.ts",
    "lib/net/bridge.ts",
    "lib/net/leases.ts",
    "lib/net/store.ts",
    "lib/net/subnet.ts",
  ),
  // the store's writing half: hashing, unpacking, GC runs (run only reads the store)
  under(
    "lib/image/store.ts",
    "lib/image/digest.ts",
    "lib/image/blob_io.ts",
    "lib/image/layer_unpack.ts",
    "lib/image/unpack.ts",
    "lib/image/tar_read.ts",
    "lib/image/decompress.ts",
  ),
];

/** The forbidden modules of `g` under `rules`, each with the chain that pulls it in. */
function violations(g: Graph, rules: Rule[]): string[] {
  return [...g.parent.keys()].filter((m) => rules.some((r) => r(m))).map((m) => chain(g, m));
}

Deno.test("run: loads none of the modules a --network none run with a stored image does not run", () => {
  const g = entryGraph("run");
  assert(g.parent.has("lib/container/runner.ts"), "run: graph looks wrong (no runner.ts)");
  const bad = violations(g, RUN_FORBIDDEN);
  assertEquals(bad, [], `run loads:\n  ${bad.join("\n  ")}`);
});

for (const [hidden, entry] of Object.entries(HIDDEN)) {
  Deno.test(`${hidden}: loads no lazily loaded module statically`, () => {
    const bad = violations(entryGraph(hidden), [LAZY]);
    assertEquals(bad, [], `${hidden} (${entry.module}) loads:\n  ${bad.join("\n  ")}`);
  });
}

Deno.test("a bridged start's network code loads no node: builtin up front", () => {
  // both the CLI (prepare) and tsbox-runc create (attach) load it for every bridged start:
  // node:crypto alone cost each ~17 ms; a builtin one path needs is imported where it is used
  for (const m of ["lib/net/prepare.ts", "lib/net/attach.ts"]) {
    const bad = violations(moduleGraph(m, false), [NODE_BUILTIN]);
    assertEquals(bad, [], `${m} loads:\n  ${bad.join("\n  ")}`);
  }
});

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

/** The hidden entries tsbox starts as their own main module (lib/self.ts entryCommand). */
const DIRECT = ["__init", "__exec"];

for (const hidden of DIRECT) {
  Deno.test(`${hidden} started directly: loads neither main.ts nor its table, and keeps its rules`, () => {
    const module = HIDDEN[hidden].module;
    const g = moduleGraph(module);
    assert(g.parent.size > 5, `${hidden}: graph looks empty (${[...g.parent.keys()]})`);
    const bad = violations(g, [
      ...FORBIDDEN[hidden],
      LAZY,
      under("main.ts", "lib/cli/commands.ts", "lib/lazy.ts", "lib/module_url.ts"),
    ]);
    assertEquals(bad, [], `${module} loads:\n  ${bad.join("\n  ")}`);
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

Deno.test("commands.ts: the dispatch table imports nothing at run time but the module loader", () => {
  assertEquals([...moduleGraph("lib/cli/commands.ts").parent.keys()], [
    "lib/cli/commands.ts",
    "lib/module_url.ts",
  ]);
  assertEquals([...moduleGraph("lib/module_url.ts").parent.keys()], ["lib/module_url.ts"]);
});

Deno.test("commandModules: every table module exists and exports main", async () => {
  for (const url of commandModules()) {
    const mod = await import(url.href);
    assertEquals(typeof mod.main, "function", `${short(url.href)} exports no main`);
  }
});

Deno.test("lazy.ts: imports nothing at run time but the module loader (the rest is type-only)", () => {
  assertEquals([...moduleGraph("lib/lazy.ts").parent.keys()], ["lib/lazy.ts", "lib/module_url.ts"]);
});

Deno.test("lazyModules: every lazily loaded module exists and loads", async () => {
  for (const url of lazyModules()) {
    const mod = await import(url.href);
    assert(Object.keys(mod).length > 0, `${short(url.href)} exports nothing`);
  }
});

/** The files tsbox runs (what `deno compile` packs), repo-relative. */
function sourceFiles(): string[] {
  const out = ["main.ts"];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(new URL(dir, REPO))) {
      if (e.isDirectory) walk(`${dir}${e.name}/`);
      else if (e.name.endsWith(".ts")) out.push(`${dir}${e.name}`);
    }
  };
  for (const d of ["lib/", "ffi/", "volumes/"]) walk(d);
  return out;
}

/** The modules imported by a computed specifier, and where such imports are not allowed. */
function computedImports(): { targets: URL[]; misplaced: string[] } {
  // the one place: lib/module_url.ts's loadModule, which the table and lazy() call
  const loaders = ["lib/module_url.ts"];
  const targets = commandModules();
  const misplaced: string[] = [];
  for (const file of sourceFiles()) {
    const text = Deno.readTextFileSync(new URL(file, REPO));
    const line = (i: number) => `${file}:${text.slice(0, i).split("\n").length}`;
    // import(<not a string literal>): Deno and deno compile see no target
    for (const m of text.matchAll(/\bimport\(\s*(?!["'`])/g)) {
      if (!loaders.includes(file)) misplaced.push(`${line(m.index)}: computed import()`);
    }
    if (file === "lib/lazy.ts") continue;
    for (const m of text.matchAll(/\blazy\(([^)]*)\)/g)) {
      const lit = /^\s*"([^"]+)"\s*$/.exec(m[1]);
      if (lit) targets.push(new URL(`lib/${lit[1]}`, REPO));
      else misplaced.push(`${line(m.index)}: lazy(${m[1]}) needs a string literal`);
    }
  }
  return { targets, misplaced };
}

Deno.test("computed imports: only the module loader makes them; deno compile includes every target", () => {
  const { targets, misplaced } = computedImports();
  assertEquals(misplaced, [], `computed imports elsewhere:\n  ${misplaced.join("\n  ")}`);
  assert(targets.length > commandModules().length, "no lazy(…) call found: the scan looks broken");
  const included = new Set(compileIncludes().map((u) => u.href));
  const missing = [...new Set(targets.map((u) => u.href))].filter((h) => !included.has(h)).map(
    short,
  );
  assertEquals(missing, [], `not passed to deno compile --include:\n  ${missing.join("\n  ")}`);
  for (const u of compileIncludes()) Deno.statSync(u); // every include exists
});
