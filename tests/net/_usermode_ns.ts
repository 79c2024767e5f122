/**
 * Helpers for the user-mode network tests: a namespace holder (util-linux
 * `unshare` with a network and a PID namespace, optionally a user namespace)
 * running a busybox httpd, ready once its "ready" line arrives; and probes
 * run inside its network namespace. Closing the holder's stdin ends it: its
 * `cat` (PID 1 of the PID namespace) exits and the kernel kills the httpd.
 * @module
 */

import dgram from "node:dgram";
import { join } from "node:path";
import { assertEquals } from "../helpers/assert.ts";
import { pidStartTime } from "../../lib/container/proc.ts";
import type { UsermodeNet } from "../../lib/net/usermode.ts";

/** busybox-static, for the probes run inside the namespaces. */
export const BUSYBOX = "/bin/busybox";

/** How the holder's namespaces are made. */
export type HolderUserns =
  /** `unshare --net` as root: a rootful network namespace. */
  | "none"
  /** `--user --map-root-user`: the caller's uid is root inside. */
  | "map-root"
  /** `--user --map-auto --map-root-user`: the caller's subordinate ranges (newuidmap). */
  | "map-auto";

/** A running namespace holder. */
export interface NsHolder {
  /** PID of `unshare` itself, which is inside the new user and network namespaces. */
  pid: number;
  child: Deno.ChildProcess;
  /** End it and reap it (idempotent). */
  stop(): Promise<void>;
}

/**
 * Start a holder serving `dir` (index.html = `text`) with busybox httpd on port 80.
 * Resolves after its "ready" line (httpd forks into the background only once bound).
 * @param prefix argv prefix that runs the holder as another user (e.g. setpriv …).
 */
export async function startNsHolder(
  dir: string,
  text: string,
  userns: HolderUserns,
  prefix: string[] = [],
): Promise<NsHolder> {
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(join(dir, "index.html"), text);
  const nsFlags = userns === "none"
    ? []
    : userns === "map-root"
    ? ["--user", "--map-root-user"]
    : ["--user", "--map-auto", "--map-root-user"];
  const script = `/bin/busybox httpd -p 80 -h '${dir}' && echo ready && exec /bin/busybox cat`;
  const argv = [
    ...prefix,
    "unshare",
    ...nsFlags,
    "--net",
    "--pid",
    "--fork",
    "--kill-child",
    "/bin/busybox",
    "sh",
    "-c",
    script,
  ];
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stdin = child.stdin.getWriter();
  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      await stdin.close().catch((err) => {
        // the holder already exited and its stdin pipe is broken
        if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
      });
      await child.status;
      await stderr;
    })();
  const line = await firstLine(child.stdout);
  if (line !== "ready") {
    await stop();
    throw new Error(`namespace holder failed: ${line} ${await stderr}`);
  }
  return { pid: child.pid, child, stop };
}

/** The first line of a stream (the rest is drained in the background). */
async function firstLine(s: ReadableStream<Uint8Array>): Promise<string> {
  const reader = s.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const r = await reader.read();
    if (r.done) break;
    text += r.value;
  }
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return text.split("\n")[0];
}

/** Run `argv` inside the holder's network namespace (as root); code and output. */
export async function inNetns(
  pid: number,
  argv: string[],
  timeoutMs = 15_000,
): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command("nsenter", {
    args: ["-t", String(pid), "-n", ...argv],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** PIDs of processes whose command line contains `needle` (pgrep -f), other than ourselves. */
export async function pgrepF(needle: string): Promise<number[]> {
  const out = await new Deno.Command("pgrep", { args: ["-f", needle], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "").map(Number)
    .filter((p) => p !== Deno.pid);
}

/** A one-route HTTP server on the host (`hostname`) answering a random token. */
export function hostServer(hostname = "127.0.0.1") {
  const token = crypto.randomUUID();
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname, port: 0, signal: ac.signal, onListen() {} },
    () => new Response(token, { headers: { connection: "close" } }),
  );
  return {
    port: server.addr.port,
    token,
    close: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

/** busybox wget from inside the holder's netns: the body, or undefined when it failed (no -T: it crashes busybox 1.35's wget; inNetns bounds it). */
export async function wgetIn(pid: number, url: string): Promise<string | undefined> {
  const r = await inNetns(pid, [BUSYBOX, "wget", "-q", "-O", "-", url]);
  return r.code === 0 ? r.out : undefined;
}

/** Send `text` to 127.0.0.1:`port` over UDP; the reply, or undefined after `ms`. */
export async function udpAsk(port: number, text: string, ms = 5000): Promise<string | undefined> {
  const sock = dgram.createSocket("udp4");
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await new Promise<string | undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
      sock.on("message", (m) => resolve(String(m)));
      sock.send(text, port, "127.0.0.1");
    });
  } finally {
    clearTimeout(timer);
    await new Promise<void>((r) => sock.close(() => r()));
  }
}

/** The answer class of a busybox nslookup output. */
export function dnsOutcome(out: string): "answer" | "nxdomain" | "none" {
  if (/NXDOMAIN/.test(out)) return "nxdomain";
  if (/^Name:\s+\S+\s*\nAddress/m.test(out)) return "answer";
  return "none";
}

/** SIGKILL a child unless it has exited, and wait for it. */
export async function reap(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch (err) {
    // it already exited (the UDP echo ends after one answer)
    if (!(err instanceof TypeError)) throw err;
  }
  await child.status;
}

/** Nothing naming `dir` runs any more (helper, holder, child). */
export async function assertNothingLeft(dir: string, net?: UsermodeNet): Promise<void> {
  assertEquals(await pgrepF(dir), [], `processes left naming ${dir}`);
  if (net) assertEquals(pidStartTime(net.pid), undefined, `${net.backend} ${net.pid} still runs`);
}

/** One integration test's temp dir, holder and network, all undone in `finally`. */
export async function withHolder(
  userns: "none" | "map-root",
  fn: (
    ctx: { dir: string; holder: NsHolder; text: string; setNet(n: UsermodeNet): void },
  ) => Promise<void>,
): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-um-" });
  const text = `hello-${crypto.randomUUID()}`;
  let holder: NsHolder | undefined;
  let net: UsermodeNet | undefined;
  try {
    holder = await startNsHolder(join(dir, "www"), text, userns);
    await fn({ dir, holder, text, setNet: (n) => (net = n) });
  } finally {
    await net?.stop();
    await holder?.stop();
    await assertNothingLeft(dir, net);
    Deno.removeSync(dir, { recursive: true });
  }
}
