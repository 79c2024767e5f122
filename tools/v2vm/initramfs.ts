/**
 * The initramfs of the v2 test VM: static busybox, `guest_init.sh` as /init, and the
 * virtio/9p/overlay modules of the kernel that are not built in (decompressed: busybox
 * insmod loads plain .ko). Cached next to the kernel, keyed by the init script's hash.
 * @module
 */

import { join } from "node:path";
import { exists, type Kernel, sh } from "./kernel.ts";

/** Modules the init loads, in dependency order (absent ones are built in). */
export const GUEST_MODULES = [
  "virtio_ring",
  "virtio",
  "virtio_pci_modern_dev",
  "virtio_pci_legacy_dev",
  "virtio_pci",
  "netfs",
  "fscache",
  "9pnet",
  "9pnet_virtio",
  "9p",
  "overlay",
];

/** Where the module `name` of `kernel` is (`.ko`, `.ko.xz` or `.ko.zst`), or undefined. */
function findModule(kernel: Kernel, name: string): string | undefined {
  const builtin = Deno.readTextFileSync(join(kernel.modules, "modules.builtin")).split("\n");
  const all = Deno.readTextFileSync(join(kernel.modules, "modules.order")).split("\n");
  const base = (p: string) => p.split("/").pop()!.replace(/\.ko(\.xz|\.zst|\.gz)?$/, "");
  const isName = (p: string) => base(p).replaceAll("-", "_") === name.replaceAll("-", "_");
  if (builtin.some(isName)) return undefined;
  const rel = all.find(isName);
  if (!rel) {
    throw new Error(`kernel ${kernel.release} has module ${name} neither built in nor as a file`);
  }
  for (const ext of ["", ".xz", ".zst", ".gz"]) {
    const p = join(kernel.modules, rel + ext);
    if (exists(p)) return p;
  }
  throw new Error(`module ${rel} of ${kernel.release} is listed but missing`);
}

/** Copy a module into `dir` as plain `<name>.ko`. */
async function copyModule(src: string, dir: string, name: string): Promise<void> {
  const dst = join(dir, `${name}.ko`);
  if (src.endsWith(".ko")) return Deno.copyFileSync(src, dst);
  const tool = src.endsWith(".xz") ? "xz" : src.endsWith(".zst") ? "zstd" : "gzip";
  const r = await new Deno.Command(tool, { args: ["-dc", src], stdout: "piped" }).output();
  if (!r.success) throw new Error(`${tool} -dc ${src}: exit ${r.code}`);
  Deno.writeFileSync(dst, r.stdout);
}

/** Short hex SHA-256 of `data`. */
async function hash(data: Uint8Array<ArrayBuffer>): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return [...d.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The (cached) initramfs for `kernel`: `<cache>/<release>/initramfs-<hash>.cpio`.
 * Needs busybox-static (/bin/busybox, whose cpio applet writes the archive).
 */
export async function ensureInitramfs(kernel: Kernel, cacheDir: string): Promise<string> {
  const init = Deno.readFileSync(new URL("./guest_init.sh", import.meta.url));
  const key = await hash(
    new Uint8Array([...init, ...new TextEncoder().encode(GUEST_MODULES.join())]),
  );
  const out = join(cacheDir, kernel.release, `initramfs-${key}.cpio`);
  if (exists(out)) return out;
  const stage = Deno.makeTempDirSync({ prefix: "tsbox-v2vm-initramfs-" });
  try {
    Deno.mkdirSync(join(stage, "bin"));
    Deno.mkdirSync(join(stage, "modules"));
    Deno.copyFileSync("/bin/busybox", join(stage, "bin", "busybox"));
    Deno.writeFileSync(join(stage, "init"), init, { mode: 0o755 });
    Deno.chmodSync(join(stage, "init"), 0o755);
    const loaded: string[] = [];
    for (const m of GUEST_MODULES) {
      const src = findModule(kernel, m);
      if (src === undefined) continue; // built in
      await copyModule(src, join(stage, "modules"), m);
      loaded.push(m);
    }
    Deno.writeTextFileSync(join(stage, "modules.list"), loaded.join("\n") + "\n");
    const tmp = `${out}.tmp-${Deno.pid}`;
    await sh("/bin/sh", ["-c", `find . | /bin/busybox cpio -o -H newc > '${tmp}'`], stage);
    Deno.renameSync(tmp, out);
  } finally {
    Deno.removeSync(stage, { recursive: true });
  }
  return out;
}
