/**
 * Build (once, cached) the OCI runtime-tools validation suite from the
 * vendored source tarball: every `validation/<name>` program, the static
 * `runtimetest` the programs copy into each bundle, and the busybox
 * `rootfs-<goarch>.tar.gz` they unpack (made from the host's busybox-static,
 * not the tarball's prebuilt one). Offline: Debian's golang-go with
 * `GOFLAGS=-mod=vendor GOPROXY=off`. Nothing is written inside the repository.
 * @module
 */

import { dirname, join } from "node:path";
import { fromFileUrl } from "../../lib/url.ts";
import { BUSYBOX, makeBusyboxRootfs } from "../helpers/busybox.ts";

/** Repository root (this file is tests/oci/_suite.ts). */
export const REPO_ROOT = fromFileUrl(new URL("../../", import.meta.url)).replace(/\/$/, "");

const TARBALL_NAME = "runtime-tools-0105384.tar.gz";

/**
 * The vendored suite, relative to the repository: `../shared/vendor/` beside
 * the checkout (CI), or beside an ancestor of it (a git worktree such as
 * wt/<branch> under the main checkout's parent).
 */
export function defaultTarball(): string {
  const first = join(REPO_ROOT, "../shared/vendor", TARBALL_NAME);
  for (let dir = dirname(REPO_ROOT); dir !== "/"; dir = dirname(dir)) {
    const p = join(dir, "shared/vendor", TARBALL_NAME);
    try {
      Deno.statSync(p);
      return p;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return first;
}

/** Where built suites are kept, one directory per input hash. */
export const DEFAULT_CACHE = "/var/cache/tsbox-oci";

/** Bump when the build recipe below changes, so old caches are not reused. */
const RECIPE = "1";

/** A built suite. */
export interface Suite {
  /** Directory with `runtimetest` and the rootfs tarball: the programs' cwd. */
  dir: string;
  /** Absolute paths of the validation programs, sorted by name. */
  programs: string[];
  /** Seconds the build took (0 when it came from the cache). */
  buildSeconds: number;
}

/** GOARCH spelling of the running architecture (the rootfs file name uses it). */
export function goArch(): string {
  const arch: Record<string, string> = { x86_64: "amd64", aarch64: "arm64" };
  return arch[Deno.build.arch] ?? Deno.build.arch;
}

async function sha256(parts: Uint8Array[]): Promise<string> {
  const total = parts.reduce((n, p) => n + p.length + 1, 0);
  const buf = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    buf.set(p, off);
    off += p.length + 1;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> }) {
  const r = new Deno.Command(cmd, { args, ...opts, stdout: "piped", stderr: "piped" }).outputSync();
  if (!r.success) {
    const dec = new TextDecoder();
    throw new Error(
      `tsbox: oci suite build: ${cmd} ${args.join(" ")} failed (exit ${r.code}): ` +
        (dec.decode(r.stderr) || dec.decode(r.stdout)).trim(),
    );
  }
  return new TextDecoder().decode(r.stdout);
}

function listPrograms(dir: string): string[] {
  const bin = join(dir, "validation");
  return [...Deno.readDirSync(bin)].filter((e) => e.isFile).map((e) => join(bin, e.name)).sort();
}

/**
 * Return the built suite for `tarball`, building it into `cacheRoot/<hash>`
 * first when absent (about 25 s on 2 cores). The hash covers the tarball,
 * the Go toolchain version, busybox and the recipe. Throws a
 * `tsbox: oci suite build: …` error naming the failing step.
 */
export async function ensureSuite(
  tarball = defaultTarball(),
  cacheRoot = DEFAULT_CACHE,
): Promise<Suite> {
  let tarBytes: Uint8Array;
  try {
    tarBytes = Deno.readFileSync(tarball);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    throw new Error(`tsbox: oci suite build: ${tarball}: not found (the vendored runtime-tools)`);
  }
  const goVersion = run("go", ["version"], {}).trim();
  const enc = new TextEncoder();
  const hash = await sha256([
    tarBytes,
    enc.encode(goVersion),
    Deno.readFileSync(BUSYBOX),
    enc.encode(RECIPE),
  ]);
  const dir = join(cacheRoot, hash.slice(0, 16));
  try {
    Deno.statSync(join(dir, "manifest.json"));
    return { dir, programs: listPrograms(dir), buildSeconds: 0 };
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }

  const t0 = performance.now();
  Deno.mkdirSync(cacheRoot, { recursive: true });
  const tmp = Deno.makeTempDirSync({ dir: cacheRoot, prefix: ".build-" });
  try {
    const src = join(tmp, "src");
    Deno.mkdirSync(src);
    run("tar", ["-xzf", tarball, "-C", src, "--strip-components=1"], {});
    const out = join(tmp, "out");
    Deno.mkdirSync(join(out, "validation"), { recursive: true });
    const env = {
      GOFLAGS: "-mod=vendor",
      GOPROXY: "off",
      GO111MODULE: "on",
      GOCACHE: join(tmp, "gocache"),
      GOPATH: join(tmp, "gopath"),
    };
    // As the upstream Makefile: runtimetest static, the programs plain.
    run("go", [
      "build",
      "-tags",
      "netgo osusergo",
      "-ldflags",
      "-extldflags -static",
      "-o",
      join(out, "runtimetest"),
      "./cmd/runtimetest",
    ], { cwd: src, env });
    // One build of every package under validation/: main packages land in the
    // directory, the shared util package is compiled and discarded.
    run("go", ["build", "-o", join(out, "validation") + "/", "./validation/..."], {
      cwd: src,
      env,
    });
    const rootfs = join(tmp, "rootfs");
    makeBusyboxRootfs(rootfs);
    run("tar", [
      "-czf",
      join(out, `rootfs-${goArch()}.tar.gz`),
      "--numeric-owner",
      "-C",
      rootfs,
      ".",
    ], {});
    Deno.writeTextFileSync(
      join(out, "manifest.json"),
      JSON.stringify({ tarball, goVersion, recipe: RECIPE, built: new Date().toISOString() }),
    );
    try {
      Deno.renameSync(out, dir);
    } catch (err) {
      // another run finished the same build first: use its copy
      if (!(err instanceof Deno.errors.AlreadyExists) && !isNotEmpty(err)) throw err;
    }
  } finally {
    // the Go module cache is read-only files: make them removable first
    new Deno.Command("chmod", { args: ["-R", "u+w", tmp], stderr: "null" }).outputSync();
    Deno.removeSync(tmp, { recursive: true });
  }
  return {
    dir,
    programs: listPrograms(dir),
    buildSeconds: (performance.now() - t0) / 1000,
  };
}

function isNotEmpty(err: unknown): boolean {
  return err instanceof Error && /ENOTEMPTY|not empty/i.test(err.message);
}
