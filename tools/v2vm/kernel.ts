/**
 * Debian's own 6.1 kernel for the v2 test VM: the newest `linux-image-6.1.0-N-amd64`
 * apt offers, fetched with `apt-get download` and unpacked with `dpkg-deb -x` into a
 * cache outside the repo (nothing is installed). Needs root, apt and dpkg.
 * @module
 */

import { join } from "node:path";

/** The standard (not cloud: it lacks 9p) Debian kernel package names. */
const PACKAGE_RE = /^linux-image-(6\.1\.0-\d+-amd64) /;

/** A kernel ready to boot: its image and the directory holding its modules. */
export interface Kernel {
  /** `6.1.0-N-amd64`. */
  release: string;
  /** Path of vmlinuz. */
  vmlinuz: string;
  /** `<cache>/<release>/lib/modules/<release>`. */
  modules: string;
}

/** Run a command; its stdout, or throws with its stderr. */
export async function sh(cmd: string, args: string[], cwd?: string): Promise<string> {
  const r = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")}: exit ${r.code}: ${dec.decode(r.stderr).trim()}`);
  }
  return dec.decode(r.stdout);
}

/** Kernel releases apt offers, newest first. */
async function offered(): Promise<string[]> {
  const out = await sh("apt-cache", [
    "search",
    "--names-only",
    "^linux-image-6\\.1\\.0-[0-9]+-amd64$",
  ]);
  const rel = out.split("\n").map((l) => PACKAGE_RE.exec(l)?.[1]).filter((r): r is string => !!r);
  const abi = (r: string) => Number(r.split("-")[1]);
  return rel.sort((a, b) => abi(b) - abi(a));
}

/** Releases already unpacked in `cache`, newest first. */
function cached(cache: string): string[] {
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync(cache)) {
      if (/^6\.1\.0-\d+-amd64$/.test(e.name) && exists(join(cache, e.name, "vmlinuz"))) {
        out.push(e.name);
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort((a, b) => Number(b.split("-")[1]) - Number(a.split("-")[1]));
}

/** True when `p` exists. */
export function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * The newest Debian 6.1 kernel, unpacked under `cache/<release>/` (downloaded once).
 * Runs `apt-get update` when apt knows no such package yet (a fresh machine); when apt
 * cannot be reached, the newest cached kernel is used.
 * @throws {Error} no kernel offered and none cached.
 */
export async function ensureKernel(cache: string, log: (s: string) => void): Promise<Kernel> {
  let rels: string[] = [];
  try {
    rels = await offered();
    if (rels.length === 0) {
      log("apt knows no linux-image-6.1.0-*-amd64: apt-get update");
      await sh("apt-get", ["update", "-qq"]);
      rels = await offered();
    }
  } catch (err) {
    log(`apt: ${err instanceof Error ? err.message : err}; trying the cache`);
  }
  const release = rels[0] ?? cached(cache)[0];
  if (!release) {
    throw new Error(`no linux-image-6.1.0-*-amd64 offered by apt nor cached in ${cache}`);
  }
  const dir = join(cache, release);
  const kernel = {
    release,
    vmlinuz: join(dir, "vmlinuz"),
    modules: join(dir, "lib", "modules", release),
  };
  if (exists(kernel.vmlinuz)) return kernel;
  if (exists(dir)) Deno.removeSync(dir, { recursive: true }); // left by an older layout

  log(`fetching linux-image-${release} into ${cache}`);
  const dl = Deno.makeTempDirSync({ dir: cache, prefix: ".dl-" });
  try {
    await sh("apt-get", ["download", "-qq", `linux-image-${release}`], dl);
    const deb = [...Deno.readDirSync(dl)].find((e) => e.name.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download linux-image-${release}: no .deb`);
    const x = join(dl, "x");
    await sh("dpkg-deb", ["-x", join(dl, deb.name), x]);
    Deno.renameSync(join(x, "boot", `vmlinuz-${release}`), join(x, "vmlinuz"));
    Deno.removeSync(join(x, "boot"), { recursive: true });
    Deno.renameSync(x, dir); // one rename: a half-unpacked kernel is never seen as cached
  } finally {
    Deno.removeSync(dl, { recursive: true });
  }
  return kernel;
}
