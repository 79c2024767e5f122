/**
 * Rootless tsbox: an ordinary user's tsbox runs inside one user namespace
 * of that user's (podman's model): root inside is the user, ids 1… are
 * the user's /etc/subuid and /etc/subgid ranges (util-linux `unshare
 * --map-auto --map-root-user`, through newuidmap/newgidmap). A small pause
 * process (`sleep infinity`) holds the namespace, so every later command —
 * `exec` into a running container, `rm` of files owned by subordinate ids —
 * joins the same one (nsenter, single-threaded, before Deno starts). State
 * lives under $XDG_DATA_HOME/tsbox (default ~/.local/share/tsbox), the pause
 * pid under $XDG_RUNTIME_DIR/tsbox (or a private dir in /tmp).
 * @module
 */

import { join } from "../posix_path.ts";
import { UsageError } from "../errors.ts";
import { withLock } from "../fsutil.ts";
import { findTool, utilLinux } from "../container/init_stage.ts";
import { parseSubid, readSubidFile } from "./subid.ts";
import { signalNumber } from "../signals.ts";
import type { Command } from "../cli/context.ts";

export { ROOTLESS_ENV, rootlessRoot } from "./rootless_env.ts";
import { ROOTLESS_ENV } from "./rootless_env.ts";

/** The user's runtime dir (pause pid, lock). */
export function rootlessRuntimeDir(env: Record<string, string>, uid: number): string {
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "tsbox") : `/tmp/tsbox-${uid}`;
}

/** The user's name (for /etc/subuid), from /etc/passwd. */
function userName(uid: number): string | undefined {
  for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
    const f = line.split(":");
    if (f.length > 2 && Number(f[2]) === uid) return f[0];
  }
  return undefined;
}

/**
 * Refuse early, with what to add, when the user has no ranges or the
 * uidmap tools are missing.
 * @throws {UsageError}
 */
export function checkRootlessSetup(uid: number): void {
  const name = userName(uid);
  for (const file of ["/etc/subuid", "/etc/subgid"]) {
    if (!parseSubid(readSubidFile(file), { name, uid }).length) {
      throw new UsageError(
        `rootless tsbox needs subordinate ids for ${name ?? uid} in ${file}`,
        {
          hint: `as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${
            name ?? uid
          }`,
        },
      );
    }
  }
  for (const tool of ["newuidmap", "newgidmap"]) {
    if (!findTool(tool)) {
      throw new UsageError(`rootless tsbox needs ${tool}(1)`, { hint: "apt-get install uidmap" });
    }
  }
}

/** The pause process recorded in `dir`, if it still runs with its user namespace. */
function livePause(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(Deno.readTextFileSync(join(dir, "pause.pid")).trim());
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // none started yet
    throw err;
  }
  try {
    const cmd = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
    if (cmd !== "sleep\0infinity\0") return undefined; // the pid was reused
    if (!Deno.readTextFileSync(`/proc/${pid}/uid_map`).trim()) return undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // it exited
    throw err;
  }
  return pid;
}

/**
 * The pause process holding the user's namespace: the recorded one, or a
 * new one (under a lock, so concurrent first commands make only one).
 */
export async function ensurePause(dir: string): Promise<number> {
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return await withLock(join(dir, "pause.lock"), async () => {
    const live = livePause(dir);
    if (live !== undefined) return live;
    // "ready" is printed once unshare has written the maps
    // its own session: it must outlive the login session of the command that made it
    const child = new Deno.Command(utilLinux("setsid"), {
      args: [
        utilLinux("unshare"),
        "--user",
        "--map-auto",
        "--map-root-user",
        "--",
        "/bin/sh",
        "-c",
        "echo ready; exec sleep infinity </dev/null >/dev/null 2>&1",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    const first = await reader.read();
    reader.releaseLock();
    const ready = new TextDecoder().decode(first.value ?? new Uint8Array()).startsWith("ready");
    if (!ready) {
      const err = new TextDecoder().decode((await child.output()).stderr).trim();
      throw new UsageError(
        `rootless: cannot create the user namespace: ${err || "unshare failed"}`,
      );
    }
    void child.stderr.cancel();
    void child.stdout.cancel();
    child.unref();
    Deno.writeTextFileSync(join(dir, "pause.pid"), String(child.pid));
    return child.pid;
  });
}

/**
 * Run this tsbox command again inside the user's namespace, as its root,
 * and return its exit code (128+N when it was killed by signal N).
 */
export async function runInRootlessNs(
  self: string[],
  args: string[],
  env: Record<string, string>,
  uid: number,
): Promise<number> {
  checkRootlessSetup(uid);
  const pause = await ensurePause(rootlessRuntimeDir(env, uid));
  const child = new Deno.Command(utilLinux("nsenter"), {
    args: [`--user=/proc/${pause}/ns/user`, "--", ...self, ...args],
    env: { [ROOTLESS_ENV]: "1" },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const forwarded: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
  const handlers = forwarded.map((sig) => {
    const h = () => child.kill(sig);
    Deno.addSignalListener(sig, h);
    return [sig, h] as const;
  });
  try {
    const st = await child.status;
    return st.signal ? 128 + signalNumber(st.signal) : st.code;
  } finally {
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
  }
}

/** main.ts's rootless path: `args` (global flags included) again, inside the namespace. */
export const main: Command = (args, ctx) => runInRootlessNs(ctx.self, args, ctx.env, Deno.uid()!);
