/**
 * Build a busybox rootfs tarball from the host's busybox-static
 * (`/bin/busybox`), for tests and for the offline demo.
 * @module
 */

import { join } from "node:path";

/** Where Debian's busybox-static puts its binary. */
export const BUSYBOX = "/bin/busybox";

/**
 * Create a minimal rootfs directory (busybox + applet symlinks, /etc/passwd,
 * /etc/group, /tmp) in `dir`.
 */
export function makeBusyboxRootfs(dir: string): void {
  for (const d of ["bin", "etc", "tmp", "root", "home", "var", "proc", "sys", "dev"]) {
    Deno.mkdirSync(join(dir, d), { recursive: true });
  }
  Deno.chmodSync(dir, 0o755);
  Deno.chmodSync(join(dir, "tmp"), 0o1777);
  Deno.copyFileSync(BUSYBOX, join(dir, "bin/busybox"));
  Deno.chmodSync(join(dir, "bin/busybox"), 0o755);
  const out = new Deno.Command(BUSYBOX, { args: ["--list"], stdout: "piped" }).outputSync();
  for (const applet of new TextDecoder().decode(out.stdout).split("\n")) {
    if (!applet || applet === "busybox") continue;
    Deno.symlinkSync("busybox", join(dir, "bin", applet));
  }
  Deno.writeTextFileSync(
    join(dir, "etc/passwd"),
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nuser:x:1000:1000:user:/home/user:/bin/sh\n",
  );
  Deno.writeTextFileSync(
    join(dir, "etc/group"),
    "root:x:0:\nnogroup:x:65534:\nuser:x:1000:\nstaff:x:50:user\n",
  );
}

/**
 * Build a rootfs tar of busybox at `tarPath` (uses the host's `tar`);
 * `customize` may add files to the rootfs dir first.
 */
export function makeBusyboxTar(tarPath: string, customize?: (dir: string) => void): void {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-bbroot-" });
  try {
    makeBusyboxRootfs(dir);
    customize?.(dir);
    const r = new Deno.Command("tar", {
      args: ["-C", dir, "-cf", tarPath, "--numeric-owner", "."],
      stderr: "piped",
    })
      .outputSync();
    if (!r.success) throw new Error(`tar failed: ${new TextDecoder().decode(r.stderr)}`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
