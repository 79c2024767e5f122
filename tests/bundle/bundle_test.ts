/**
 * The bundled build (tools/bundle.ts, `deno task bundle`): each bundle file
 * stands alone, `run`'s and the init's load no Node built-in, and tsbox run
 * from it works as from the source tree through every boundary between its
 * files — the init it re-executes itself as, errors made in one file and
 * reported by another (exit codes, hints), lazily loaded modules (the
 * registry client and its unpack worker, CNI), a detached container under
 * conmon (which calls the bundle's `__runc`), and dist/tsbox-runc. Root;
 * a temporary bundle and state roots, removed after.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { hasCommand, type RunResult, tsbox, withRoot } from "../helpers/tsbox.ts";
import { seedImage } from "../run/_image.ts";
import { makeBusyboxRootfs } from "../helpers/busybox.ts";
import { buildImage, pushImage, startRegistry, withTemp } from "../helpers/registry.ts";
import { processesUsing } from "../container/_lifecycle.ts";
import { bundle } from "../../tools/bundle.ts";
import { compileIncludes } from "../../tools/includes.ts";
import { fromFileUrl } from "../../lib/url.ts";
import { join, relative } from "../../lib/posix_path.ts";
import { findConmon } from "../../lib/container/conmon.ts";
import { V8_FLAGS } from "../../lib/self.ts";

const REPO = fromFileUrl(new URL("../../", import.meta.url));
const NONE = ["--network", "none"];

/** Every file of the bundle (repo-relative, `.js`) and main.js. */
function bundleFiles(): string[] {
  return ["main.js", ...compileIncludes().map((u) => relative(REPO, fromFileUrl(u)))]
    .map((f) => f.replace(/\.ts$/, ".js"));
}

/** The static imports of a bundle file: `import … from "x"` and `import "x"`. */
function staticImports(text: string): string[] {
  return [...text.matchAll(/^\s*(?:import|export)\b[^;"'`]*?(?:from\s*)?["']([^"']+)["'];?$/gm)]
    .map((m) => m[1]);
}

/**
 * The `node:` modules the source module `file` (repo-relative) loads through
 * static imports, transitively (type-only imports are erased; dynamic ones
 * are not followed: Deno evaluates their targets only when called), and
 * node:module for an npm package.
 */
function sourceNodeImports(file: string, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(file)) return out;
  seen.add(file);
  const text = Deno.readTextFileSync(join(REPO, file));
  const re = /(?:^|\n)\s*(?:import|export)\s+(?!type\b)(?:[^;"'`]*?\sfrom\s*)?["']([^"']+)["']/g;
  for (const m of text.matchAll(re)) {
    const spec = m[1];
    if (spec.startsWith("node:")) out.add(spec);
    // an npm package's CommonJS is bundled with a createRequire from node:module
    else if (spec.startsWith("npm:") || spec === "tar-stream") out.add("node:module");
    else if (spec.startsWith(".")) {
      for (const n of sourceNodeImports(relative(REPO, join(REPO, file, "..", spec)), seen)) {
        out.add(n);
      }
    }
  }
  return out;
}

function expectOk(r: RunResult, what: string): void {
  assertEquals(r.code, 0, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

Deno.test("bundle: files stand alone; main, run and the init load no Node built-in; tsbox runs from it", async (t) => {
  const dist = Deno.makeTempDirSync({ prefix: "tsbox-bundle-" });
  try {
    await bundle(dist);
    const main = join(dist, "main.js");

    await t.step("every entry is a file that imports no other file of the bundle", () => {
      for (const f of bundleFiles()) {
        const text = Deno.readTextFileSync(join(dist, f));
        const local = staticImports(text).filter((s) => !s.startsWith("node:"));
        assertEquals(local, [], `${f} imports`);
      }
      // the source tree's relative imports are gone: a sanity check of the import scan
      assertStringIncludes(Deno.readTextFileSync(join(dist, "lib/cli/pull.js")), 'from "node:');
    });

    await t.step(
      "no file imports a Node built-in its source module does not import statically",
      () => {
        // a literal import("…") is inlined by the bundler, its node: imports hoisted to the top
        // (loaded at start, where Deno evaluates them only when called: ~5–30 ms each)
        const extra: string[] = [];
        for (const f of bundleFiles()) {
          const src = f === "main.js" ? "main.ts" : f.replace(/\.js$/, ".ts");
          const want = sourceNodeImports(src);
          const got = staticImports(Deno.readTextFileSync(join(dist, f)));
          for (const n of got) if (!want.has(n)) extra.push(`${f}: ${n}`);
        }
        assertEquals(extra, []);
        assert(
          sourceNodeImports("lib/cli/pull.ts").has("node:crypto"),
          "the source scan finds imports",
        );
      },
    );

    await t.step("main.js, run and the init import no Node built-in", () => {
      for (const f of ["main.js", "lib/cli/run.js", "lib/init/main.js", "lib/init/exec_main.js"]) {
        assertEquals(staticImports(Deno.readTextFileSync(join(dist, f))), [], f);
      }
    });

    await t.step(
      "run: output, exit codes (3, 127, 125), PID 1",
      async () => {
        await withRoot(async (root) => {
          await seedImage(root);
          const sh = (script: string) =>
            tsbox(root, ["run", "--rm", ...NONE, "busybox", "sh", "-c", script], { main });
          const r = await sh("echo pid=$$; exit 3");
          assertEquals(r.code, 3, r.stderr);
          assertEquals(r.stdout, "pid=1\n");
          const nf = await tsbox(root, ["run", "--rm", ...NONE, "busybox", "nosuch"], { main });
          assertEquals(nf.code, 127);
          assertStringIncludes(nf.stderr, '"nosuch": executable file not found');
          // a bad flag: a FlagError made in run's file, its exit code chosen by main.js's
          const bad = await tsbox(root, ["ps", "--bogus"], { main });
          assertEquals(bad.code, 125, bad.stderr);
        });
      },
    );

    await t.step(
      "pull (the lazily loaded registry client and unpack worker) and run of it",
      async () => {
        const reg = await startRegistry();
        try {
          await withTemp(async (tmp) => {
            const layout = join(tmp, "oci");
            await buildImage(layout, "v1", [{ kind: "edit", edit: makeBusyboxRootfs }], {
              env: ["FOO=pulled"],
            });
            const ref = `${reg.host}/test/busybox:v1`;
            await pushImage(layout, "v1", ref);
            await withRoot(async (root) => {
              const r = await tsbox(root, ["run", "--rm", ...NONE, ref, "sh", "-c", "echo $FOO"], {
                main,
              });
              expectOk(r, "run of a missing image");
              assertEquals(r.stdout.trim(), "pulled");
              // an ImageError made in the registry client's file, reported by main.js's
              const gone = await tsbox(root, ["pull", `${reg.host}/test/nosuch:v1`], { main });
              assertEquals(gone.code, 1, gone.stderr);
              assertMatch(gone.stderr, /^tsbox: .*nosuch/m);
            });
          });
        } finally {
          await reg.stop();
        }
      },
    );

    await t.step({
      name: "a bridged run (CNI, lazily loaded) gets an address",
      ignore: !Deno.statSync("/usr/lib/cni/bridge").isFile,
      fn: async () => {
        await withRoot(async (root) => {
          await seedImage(root);
          const r = await tsbox(root, [
            "run",
            "--rm",
            "busybox",
            "ip",
            "-4",
            "addr",
            "show",
            "eth0",
          ], {
            main,
          });
          expectOk(r, "bridged run");
          assertMatch(r.stdout, /inet \d+\.\d+\.\d+\.\d+\//);
        });
      },
    });

    await t.step({
      name: "run -d under conmon (its runtime is the bundle's __runc), exec, stop, rm",
      ignore: !findConmon(Deno.env.toObject()),
      fn: async () => {
        await withRoot(async (root) => {
          await seedImage(root);
          try {
            const d = await tsbox(root, [
              "run",
              "-d",
              ...NONE,
              "--name",
              "b1",
              "busybox",
              "sleep",
              "60",
            ], {
              main,
            });
            expectOk(d, "run -d");
            const e = await tsbox(root, ["exec", "b1", "sh", "-c", "echo in; exit 4"], { main });
            assertEquals(e.code, 4, e.stderr);
            assertEquals(e.stdout, "in\n");
            const inspect = await tsbox(root, ["inspect", "-f", "{{.State.Status}}", "b1"], {
              main,
            });
            assertEquals(inspect.stdout.trim(), "running", inspect.stderr);
            // tsbox re-executes itself from the bundle: conmon's runtime is this main.js
            assert(processesUsing(main).some((p) => p.includes("conmon")), "conmon runs main.js");
            expectOk(await tsbox(root, ["stop", "-t", "1", "b1"], { main }), "stop");
            expectOk(await tsbox(root, ["rm", "b1"], { main }), "rm");
            assertEquals(processesUsing(root), []);
          } finally {
            await tsbox(root, ["rm", "-f", "b1"], { main });
          }
        });
      },
    });

    await t.step({
      name: "dist/tsbox-runc runs an OCI bundle",
      ignore: !hasCommand("runc"),
      fn: async () => {
        const dir = Deno.makeTempDirSync({ prefix: "tsbox-bundle-oci-" });
        const state = join(dir, "state");
        try {
          makeBusyboxRootfs(join(dir, "rootfs"));
          const spec = await new Deno.Command("runc", { args: ["spec", "--bundle", dir] }).output();
          assert(spec.success, "runc spec");
          const cfg = JSON.parse(Deno.readTextFileSync(join(dir, "config.json")));
          cfg.process.terminal = false;
          cfg.process.args = ["sh", "-c", "echo from-oci; exit 5"];
          Deno.writeTextFileSync(join(dir, "config.json"), JSON.stringify(cfg));
          const r = await new Deno.Command(join(dist, "tsbox-runc"), {
            args: ["--root", state, "run", "--bundle", dir, "bundle-oci"],
            stdin: "null",
            stdout: "piped",
            stderr: "piped",
          }).output();
          const err = new TextDecoder().decode(r.stderr);
          assertEquals(r.code, 5, err);
          assertEquals(new TextDecoder().decode(r.stdout), "from-oci\n");
        } finally {
          await new Deno.Command(join(dist, "tsbox-runc"), {
            args: ["--root", state, "delete", "-f", "bundle-oci"],
            stdout: "null",
            stderr: "null",
          }).output();
          Deno.removeSync(dir, { recursive: true });
        }
      },
    });

    await t.step("the launchers run main.js with tsbox's V8 flags", async () => {
      for (const l of ["tsbox", "tsbox-runc"]) {
        assertStringIncludes(Deno.readTextFileSync(join(dist, l)), `--v8-flags=${V8_FLAGS} `);
      }
      const r = await new Deno.Command(join(dist, "tsbox"), { args: ["--version"] }).output();
      assert(r.success);
      assertMatch(new TextDecoder().decode(r.stdout), /^tsbox version /);
    });

    await t.step(
      "the launchers find main.js from any path, forking only for a symlink",
      async () => {
        const tmp = Deno.makeTempDirSync({ prefix: "tsbox-launch-" });
        try {
          // a readlink or dirname run by the launcher would say so (and fail it)
          const fakes = join(tmp, "fakes");
          Deno.mkdirSync(fakes);
          for (const tool of ["readlink", "dirname"]) {
            Deno.writeTextFileSync(join(fakes, tool), `#!/bin/sh\necho ran ${tool} >&2\nexit 9\n`, {
              mode: 0o755,
            });
          }
          const path = `${fakes}:${Deno.env.get("PATH")}`;
          const version = async (
            cmd: string,
            args: string[],
            cwd: string,
            env = { PATH: path },
          ) => {
            const r = await new Deno.Command(cmd, { args: [...args, "--version"], cwd, env })
              .output();
            const err = new TextDecoder().decode(r.stderr);
            assert(r.success, `${cmd} ${args.join(" ")} in ${cwd}: ${err}`);
            assertMatch(new TextDecoder().decode(r.stdout), /^tsbox(-runc)? version /);
            return err;
          };
          for (const l of ["tsbox", "tsbox-runc"]) {
            // an absolute path, a relative one, and `sh tsbox` ($0 without a slash): no process
            assertEquals(await version(join(dist, l), [], "/"), "");
            assertEquals(await version(`./${l}`, [], dist), "");
            assertEquals(await version("sh", [l], dist), "");
          }
          // through a symlink elsewhere (a link on PATH) the real readlink resolves it
          Deno.symlinkSync(join(dist, "tsbox"), join(tmp, "tsbox"));
          assertEquals(
            await version(join(tmp, "tsbox"), [], "/", { PATH: Deno.env.get("PATH")! }),
            "",
          );
          const viaFake = await new Deno.Command(join(tmp, "tsbox"), {
            args: ["--version"],
            env: { PATH: path },
          }).output();
          assertStringIncludes(new TextDecoder().decode(viaFake.stderr), "ran readlink");
        } finally {
          Deno.removeSync(tmp, { recursive: true });
        }
      },
    );
  } finally {
    Deno.removeSync(dist, { recursive: true });
  }
});
