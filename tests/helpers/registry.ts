/**
 * Test helpers for registry pulls: a real `docker-registry` (CNCF
 * distribution) on 127.0.0.1 with temp storage and optional htpasswd auth;
 * OCI images built with umoci and pushed with skopeo. Everything started
 * here has a `stop()` that callers run in `finally`.
 * @module
 */

import { join } from "node:path";

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  port: number;
  /** Root of the registry's filesystem storage. */
  storage: string;
  /** Stop the process and remove its temp dir. */
  stop(): Promise<void>;
}

/** A port that was free a moment ago (bind to 0, read, close). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Run a command; return stdout, throw with stderr on failure. */
export async function sh(
  cmd: string,
  args: string[],
  opts: { stdin?: string; cwd?: string } = {},
): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}): ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

/**
 * Start `/usr/bin/docker-registry` on a free loopback port with storage in a
 * temp dir; with `auth`, Basic auth from a bcrypt htpasswd file.
 */
export async function startRegistry(
  opts: { auth?: { user: string; password: string } } = {},
): Promise<TestRegistry> {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-registry-" });
  const storage = join(dir, "storage");
  const port = freePort();
  let authCfg = "";
  if (opts.auth) {
    const line = await sh("htpasswd", ["-Bbn", opts.auth.user, opts.auth.password]);
    Deno.writeTextFileSync(join(dir, "htpasswd"), line);
    authCfg = `auth:\n  htpasswd:\n    realm: tsbox-test\n    path: ${join(dir, "htpasswd")}\n`;
  }
  const config = `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${authCfg}`;
  Deno.writeTextFileSync(join(dir, "config.yml"), config);
  const child = new Deno.Command("/usr/bin/docker-registry", {
    args: ["serve", join(dir, "config.yml")],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const drain = (async () => {
    const dec = new TextDecoder();
    for await (const c of child.stderr) if (log.length < 65536) log += dec.decode(c);
  })();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill("SIGTERM");
    } catch (err) {
      // it already exited
      if (!(err instanceof TypeError)) throw err;
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch (err) {
        // exited between SIGTERM and now
        if (!(err instanceof TypeError)) throw err;
      }
    }, 3000);
    await child.status;
    clearTimeout(timer);
    await drain;
    await Deno.remove(dir, { recursive: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`);
      await res.body?.cancel();
      break;
    } catch (err) {
      // not listening yet
      if (!(err instanceof TypeError)) throw err;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`docker-registry did not start: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { host: `127.0.0.1:${port}`, port, storage, stop };
}

/** Path of a blob's data file in the registry's storage. */
export function registryBlobPath(reg: TestRegistry, digest: string): string {
  const hex = digest.replace(/^sha256:/, "");
  return join(reg.storage, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
}

/** One layer-building step for `buildImage`. */
export type LayerStep =
  /**
   * `umoci insert [--opaque] SRC TARGET`: SRC is a dir filled by `fill`.
   * (umoci 0.4.7 writes these tars without end-of-archive padding.)
   */
  | { kind: "insert"; target: string; opaque?: boolean; fill: (dir: string) => void }
  /** A layer tar made by GNU tar from a dir filled by `fill` (write `.wh.*` files for whiteouts), added with `umoci raw add-layer`. */
  | { kind: "tar"; fill: (dir: string) => void }
  /** `umoci insert --whiteout TARGET`. */
  | { kind: "whiteout"; target: string }
  /** `umoci unpack`, change the rootfs, `umoci repack` (deletions become whiteouts). */
  | { kind: "edit"; edit: (rootfs: string) => void };

/**
 * Build `layout:tag` (an OCI layout dir, created if needed) with one layer per step.
 * @returns nothing; read the layout's index.json for digests.
 */
export async function buildImage(
  layout: string,
  tag: string,
  steps: LayerStep[],
  opts: { arch?: string; cmd?: string[]; env?: string[] } = {},
): Promise<void> {
  if (!existsSync(join(layout, "index.json"))) await sh("umoci", ["init", "--layout", layout]);
  const image = `${layout}:${tag}`;
  await sh("umoci", ["new", "--image", image]);
  const cfg = ["config", "--image", image, "--os", "linux", "--architecture", opts.arch ?? "amd64"];
  for (const c of opts.cmd ?? ["/bin/sh"]) cfg.push("--config.cmd", c);
  for (const e of opts.env ?? []) cfg.push("--config.env", e);
  await sh("umoci", cfg);
  for (const step of steps) {
    const work = Deno.makeTempDirSync({ prefix: "tsbox-umoci-" });
    try {
      if (step.kind === "insert") {
        const src = join(work, "src");
        Deno.mkdirSync(src);
        step.fill(src);
        await sh("umoci", [
          "insert",
          "--image",
          image,
          ...(step.opaque ? ["--opaque"] : []),
          src,
          step.target,
        ]);
      } else if (step.kind === "tar") {
        const src = join(work, "src");
        Deno.mkdirSync(src);
        step.fill(src);
        const tarFile = join(work, "layer.tar");
        await sh("tar", ["--numeric-owner", "--sort=name", "-C", src, "-cf", tarFile, "."]);
        await sh("umoci", ["raw", "add-layer", "--image", image, tarFile]);
      } else if (step.kind === "whiteout") {
        await sh("umoci", ["insert", "--image", image, "--whiteout", step.target]);
      } else {
        const bundle = join(work, "bundle");
        await sh("umoci", ["unpack", "--image", image, bundle]);
        step.edit(join(bundle, "rootfs"));
        await sh("umoci", ["repack", "--image", image, bundle]);
      }
    } finally {
      Deno.removeSync(work, { recursive: true });
    }
  }
  // drop blobs of intermediate manifests so the layout stays small
  await sh("umoci", ["gc", "--layout", layout]);
}

/** Manifest digest of `tag` in an OCI layout. */
export function layoutManifestDigest(layout: string, tag: string): string {
  const index = JSON.parse(Deno.readTextFileSync(join(layout, "index.json")));
  const m = index.manifests.find((d: any) =>
    d.annotations?.["org.opencontainers.image.ref.name"] === tag
  );
  if (!m) throw new Error(`tag ${tag} not in ${layout}`);
  return m.digest;
}

/** Read a blob of an OCI layout as JSON. */
export function layoutBlobJson(layout: string, digest: string): any {
  return JSON.parse(
    Deno.readTextFileSync(join(layout, "blobs/sha256", digest.replace(/^sha256:/, ""))),
  );
}

/**
 * Add tag `tag` to the layout: an image index over the given tags' manifests
 * (with their config's platform), for `skopeo copy --all`.
 */
export async function addIndex(layout: string, tag: string, tags: string[]): Promise<string> {
  const manifests = tags.map((t) => {
    const digest = layoutManifestDigest(layout, t);
    const bytes = Deno.readFileSync(join(layout, "blobs/sha256", digest.slice(7)));
    const m = JSON.parse(new TextDecoder().decode(bytes));
    const cfg = layoutBlobJson(layout, m.config.digest);
    const platform: Record<string, string> = { architecture: cfg.architecture, os: cfg.os };
    if (cfg.architecture === "arm64") platform.variant = "v8";
    return {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest,
      size: bytes.length,
      platform,
    };
  });
  const bytes = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests,
  }));
  const hex = await sha256Hex(bytes);
  Deno.writeFileSync(join(layout, "blobs/sha256", hex), bytes);
  const index = JSON.parse(Deno.readTextFileSync(join(layout, "index.json")));
  index.manifests.push({
    mediaType: "application/vnd.oci.image.index.v1+json",
    digest: `sha256:${hex}`,
    size: bytes.length,
    annotations: { "org.opencontainers.image.ref.name": tag },
  });
  Deno.writeTextFileSync(join(layout, "index.json"), JSON.stringify(index));
  return `sha256:${hex}`;
}

/** `skopeo copy` an OCI layout tag to `dest` (`HOST/repo:tag`) over plain HTTP. */
export async function pushImage(
  layout: string,
  tag: string,
  dest: string,
  opts: { creds?: string; all?: boolean } = {},
): Promise<void> {
  const args = ["copy", "--quiet", "--dest-tls-verify=false"];
  if (opts.creds) args.push("--dest-creds", opts.creds);
  if (opts.all) args.push("--all");
  args.push(`oci:${layout}:${tag}`, `docker://${dest}`);
  await sh("skopeo", args);
}

/** Hex sha256. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** A temp dir (prefix `tsbox-regtest-`) removed after `fn`, even when it throws. */
export async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-regtest-" });
  try {
    return await fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
