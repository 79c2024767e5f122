/**
 * Fault injection for the reliability tests: the CLI under strace (a
 * syscall delayed so a SIGKILL lands in a chosen phase, or failed with an
 * errno), a small tmpfs as the state root, and a disk filled to the last
 * byte.
 * @module
 */

import { tsboxArgv } from "../helpers/tsbox.ts";
import { seedBusybox } from "../helpers/image_fixture.ts";
import { tsbox } from "../helpers/tsbox.ts";

/** A CLI process running under strace. */
export interface Traced {
  /** The strace process. */
  strace: Deno.ChildProcess;
  /** Collected output once it exited. */
  output: Promise<{ code: number; stdout: string; stderr: string }>;
  /** SIGKILL the traced tsbox (not strace) and wait for strace to reap it and exit. */
  kill(): Promise<void>;
}

/** Host pids of the processes strace traces (its direct child: the deno running tsbox). */
function tracedPid(strace: number): number {
  const kids = Deno.readTextFileSync(`/proc/${strace}/task/${strace}/children`).trim();
  return Number(kids.split(" ")[0]);
}

/**
 * Run `tsbox --root root …args` under `strace [-f] -o /dev/null <straceArgs>`,
 * e.g. `["-e", "inject=rename:delay_exit=5000000"]`: a delay of a few
 * seconds, which `kill()` waits out (strace must reap its tracee).
 */
export function traced(
  root: string,
  args: string[],
  straceArgs: string[],
  opts: { follow?: boolean } = {},
): Traced {
  const follow = opts.follow ?? true; // false: only the main thread, where tsbox's JS (and FFI) runs
  const strace = new Deno.Command("strace", {
    args: [
      ...(follow ? ["-f"] : []),
      "-qq",
      "-o",
      "/dev/null",
      ...straceArgs,
      Deno.execPath(),
      ...tsboxArgv(root, args),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = strace.output().then((o) => {
    const d = new TextDecoder();
    return { code: o.code, stdout: d.decode(o.stdout), stderr: d.decode(o.stderr) };
  });
  return {
    strace,
    output,
    async kill() {
      let pid = 0;
      try {
        pid = tracedPid(strace.pid);
      } catch (err) {
        // strace already exited with its tracee
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
      if (pid > 0) Deno.kill(pid, "SIGKILL");
      // strace reaps it once the injected delay is over (killing strace instead would leave
      // an orphaned zombie: this host's PID 1 does not reap)
      await output;
    },
  };
}

/** Poll `fn` until true (or fail after `ms`). */
export async function until(what: string, fn: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Names in `dir` ([] when missing). */
export function names(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/**
 * A `sizeMb` tmpfs mounted as a fresh state root with busybox seeded (unless `seed: false`); the
 * containers left in it are removed and it is unmounted afterwards.
 */
export async function withTmpfsRoot(
  sizeMb: number,
  fn: (root: string) => Promise<void>,
  opts: { seed?: boolean } = {},
): Promise<void> {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-tmpfs-" });
  const mount = new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${sizeMb}m,mode=0700`, "tmpfs", root],
  }).outputSync();
  if (!mount.success) throw new Error(new TextDecoder().decode(mount.stderr));
  try {
    if (opts.seed ?? true) await seedBusybox(root);
    await fn(root);
  } finally {
    freeDisk(root);
    const ids = await tsbox(root, ["ps", "-aq", "--no-trunc"]);
    const left = ids.stdout.split("\n").filter(Boolean);
    if (left.length) await tsbox(root, ["rm", "-f", ...left]);
    new Deno.Command("umount", { args: [root] }).outputSync();
    Deno.removeSync(root, { recursive: true });
  }
}

/** Fill the filesystem of `root` to the last byte (files `root/fill-*`). */
export function fillDisk(root: string): void {
  const chunk = new Uint8Array(64 * 1024);
  for (let i = 0;; i++) {
    const f = Deno.openSync(`${root}/fill-${Date.now()}-${i}`, { create: true, write: true });
    try {
      for (let size = chunk.length; size >= 1; size = Math.floor(size / 2)) {
        for (;;) {
          try {
            f.writeSync(chunk.subarray(0, size));
          } catch (err) {
            if ((err as { code?: string }).code !== "ENOSPC") throw err;
            break;
          }
        }
      }
    } finally {
      f.close();
    }
    if (i > 0) return; // a second file gets nothing either: full
  }
}

/** Remove the filler files of `fillDisk`. */
export function freeDisk(root: string): void {
  for (const n of names(root)) if (n.startsWith("fill-")) Deno.removeSync(`${root}/${n}`);
}

/** True when `fn` throws ENOSPC now (the disk is full). */
export function diskIsFull(root: string): boolean {
  try {
    Deno.writeFileSync(`${root}/fill-probe`, new Uint8Array(1));
  } catch (err) {
    if ((err as { code?: string }).code === "ENOSPC") return true;
    throw err;
  }
  return false;
}

/** How a `killAt` trial went. */
export interface KillTrial {
  /** False when the command finished before its `n`th call. */
  killed: boolean;
  /** The strace output line of the kill (`[pid] +++ killed by SIGKILL +++`). */
  line?: string;
}

/**
 * Run the CLI under strace, which SIGKILLs it on entry to its `n`th
 * `syscall` (before the call runs), and wait until strace exited (it
 * reaps what it traced). With `follow`, children (the monitor) are traced
 * too, and the first of them to make its `n`th call is the one killed.
 */
export async function killAt(
  root: string,
  args: string[],
  opts: { syscall: string; n: number; follow: boolean },
): Promise<KillTrial> {
  const out = Deno.makeTempFileSync({ prefix: "tsbox-strace-" });
  try {
    const strace = new Deno.Command("strace", {
      args: [
        ...(opts.follow ? ["-f"] : []),
        "-qq",
        "-o",
        out,
        "-e",
        `trace=${opts.syscall}`,
        "-e",
        `inject=${opts.syscall}:signal=SIGKILL:when=${opts.n}`,
        Deno.execPath(),
        ...tsboxArgv(root, args),
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await strace.status;
    const line = Deno.readTextFileSync(out).split("\n").find((l) =>
      l.includes("+++ killed by SIGKILL")
    );
    return { killed: line !== undefined, line };
  } finally {
    Deno.removeSync(out);
  }
}
