/**
 * A long-lived host helper (slirp4netns, pasta) run as a child with extra
 * inherited fds (Deno.Command cannot pass fds 3+; node:child_process's
 * extra `"pipe"` stdio entries can: each is one end of a socketpair, CLOEXEC
 * on our side, so no other child inherits it). Its output is kept in a small
 * ring for error messages; `exited` settles when it exits.
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import type { Duplex, Readable } from "node:stream";
import { NetworkError } from "../errors.ts";

/** How a helper ended. */
export interface HelperExit {
  code: number | null;
  signal: string | null;
}

/** A running helper process. */
export interface HelperProcess {
  /** Host PID. */
  readonly pid: number;
  /** The tool's name, for messages. */
  readonly name: string;
  /** Settles when the process has exited (it is reaped). */
  readonly exited: Promise<HelperExit>;
  /** True once it has exited. */
  hasExited(): boolean;
  /** Our end of the child's fd `n` (3…), as passed in `extraFds`. */
  fd(n: number): Duplex;
  /** The last lines it wrote to stdout/stderr (noise lines dropped). */
  output(): string;
  /** Send a signal (ignored once it has exited). */
  kill(signal: "SIGTERM" | "SIGKILL"): void;
  /** Close every pipe we hold to it (call after it exited). */
  release(): void;
}

/** Output kept per helper, in characters. */
const OUTPUT_KEEP = 4096;

/** Lines a helper prints that say nothing useful (pasta without syslog). */
const NOISE = /^Failed to send \d+ bytes to syslog$/;

/**
 * Start `path args…` with stdin on /dev/null, stdout/stderr captured and
 * `extraFds` more socketpair fds (3, 4, …). Resolves once the process exists.
 * @throws {NetworkError} the binary cannot be started.
 */
export function spawnHelper(
  name: string,
  path: string,
  args: string[],
  extraFds: number,
): Promise<HelperProcess> {
  const stdio = ["ignore", "pipe", "pipe", ...Array(extraFds).fill("pipe")];
  const child: ChildProcess = spawn(path, args, { stdio, env: helperEnv() });
  let out = "";
  const keep = (chunk: Uint8Array | string) => {
    out = (out + String(chunk)).slice(-OUTPUT_KEEP);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let done = false;
  const exited = new Promise<HelperExit>((resolve) => {
    child.once("exit", (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
  });
  const proc: HelperProcess = {
    get pid() {
      return child.pid ?? -1;
    },
    name,
    exited,
    hasExited: () => done,
    fd: (n) => child.stdio[n] as Duplex,
    output: () =>
      out.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !NOISE.test(l)).join("\n"),
    kill: (signal) => {
      if (!done) child.kill(signal);
    },
    release: () => {
      for (const s of child.stdio) (s as Readable | null)?.destroy();
    },
  };
  return new Promise((resolve, reject) => {
    child.once("spawn", () => resolve(proc));
    child.on("error", (err: NodeJS.ErrnoException) => {
      if (proc.pid > 0) return; // a later error (a kill after exit): `exited` tells the story
      proc.release();
      reject(
        new NetworkError(`cannot start ${name} (${path})`, {
          op: name,
          cause: err,
          hint: err.code === "ENOENT" ? `install the ${name} package` : undefined,
        }),
      );
    });
  });
}

/** The helper's environment: PATH and locale only, nothing of tsbox's. */
function helperEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" };
  const xdg = Deno.env.get("XDG_RUNTIME_DIR");
  if (xdg) env.XDG_RUNTIME_DIR = xdg;
  return env;
}

/** The last meaningful line of a helper's output, or how it exited. */
export function lastWords(h: HelperProcess, exit?: HelperExit): string {
  // slirp4netns ends with "child failed(N)" after the line that says why
  const lines = h.output().split("\n").filter((l) =>
    l !== "" && !/^WARNING: /.test(l) && !/^child failed\(/.test(l)
  );
  if (lines.length) return lines[lines.length - 1];
  if (exit?.signal) return `killed by ${exit.signal}`;
  return exit ? `exit code ${exit.code}` : "no output";
}

/**
 * Wait until `ready` resolves, the helper exits, or `timeoutMs` passes
 * (a bound against a helper that hangs, not a synchronisation).
 * @throws {NetworkError} it exited first (its last output line) or timed out.
 */
export async function waitReady(
  h: HelperProcess,
  ready: Promise<void>,
  timeoutMs: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) => {
    timer = setTimeout(() => r("timeout"), timeoutMs);
  });
  try {
    const first = await Promise.race([
      ready.then(() => "ready" as const),
      h.exited,
      timeout,
    ]);
    if (first === "ready") return;
    if (first === "timeout") {
      throw new NetworkError(`${h.name} did not get ready within ${timeoutMs} ms`, {
        op: h.name,
      });
    }
    throw new NetworkError(`${h.name} failed: ${lastWords(h, first)}`, {
      op: h.name,
      hint: hintFor(h.output()),
    });
  } finally {
    clearTimeout(timer);
  }
}

/** A hint for the failures a user can fix. */
function hintFor(output: string): string | undefined {
  if (/\/dev\/net\/tun.*(Permission denied|EACCES)/i.test(output)) {
    return "unprivileged users need /dev/net/tun readable and writable (mode 0666, udev's default)";
  }
  if (/\/ns\/user.*Permission denied|setns.*(EPERM|Operation not permitted)/i.test(output)) {
    return "the helper must run as the user that owns the container's user namespace";
  }
  return undefined;
}

/**
 * Stop a helper: `ask()` (close its exit fd, or SIGTERM), wait up to
 * `graceMs` for it to exit, then SIGKILL and wait; always reaps and
 * releases the pipes. Idempotent.
 */
export async function stopHelper(
  h: HelperProcess,
  ask: () => void,
  graceMs: number,
): Promise<HelperExit> {
  if (!h.hasExited()) {
    ask();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<"late">((r) => {
      timer = setTimeout(() => r("late"), graceMs);
    });
    const first = await Promise.race([h.exited, grace]);
    clearTimeout(timer);
    if (first === "late") h.kill("SIGKILL");
  }
  const exit = await h.exited;
  h.release();
  return exit;
}
