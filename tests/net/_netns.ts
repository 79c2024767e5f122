/**
 * Helpers for network tests: throw-away network namespaces, bounded
 * servers inside them, and host-state probes (iptables, veths). Every
 * helper's resource is removed by the matching cleanup in the test's `finally`.
 * @module
 */

import { join } from "node:path";

/** Run a command, returning code and output (never throws on non-zero). */
export async function sh(
  cmd: string,
  args: string[],
  timeoutMs = 15_000,
): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** Create `ip netns` namespace `tsbox-test-<rand>` with `lo` up; returns name and path. */
export async function makeNetns(): Promise<{ name: string; path: string }> {
  const name = `tsbox-test-${crypto.randomUUID().slice(0, 8)}`;
  const r = await sh("ip", ["netns", "add", name]);
  if (r.code !== 0) throw new Error(`ip netns add: ${r.out}`);
  await sh("ip", ["-n", name, "link", "set", "lo", "up"]);
  return { name, path: `/var/run/netns/${name}` };
}

/** Delete a namespace made by `makeNetns` (missing is fine). */
export async function deleteNetns(name: string): Promise<void> {
  await sh("ip", ["netns", "del", name]);
}

/** A busybox httpd in `ns` serving `text` on port 80; stops by itself after `maxSeconds`. */
export function startHttpd(
  ns: string,
  dir: string,
  text: string,
  maxSeconds = 60,
): Deno.ChildProcess {
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(join(dir, "index.html"), text);
  return new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      ns,
      "timeout",
      String(maxSeconds),
      "/bin/busybox",
      "httpd",
      "-f",
      "-p",
      "80",
      "-h",
      dir,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Stop a server started by `startHttpd` and reap it. */
export async function stopProcess(p: Deno.ChildProcess): Promise<void> {
  try {
    p.kill("SIGTERM");
  } catch (err) {
    // it already stopped on its own timeout
    if (!(err instanceof TypeError)) throw err;
  }
  await p.status;
}

/** GET `url` with a timeout; the body, or `undefined` on any network failure. */
export async function tryFetch(url: string, timeoutMs = 3000): Promise<string | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return await r.text();
  } catch (err) {
    if (err instanceof TypeError || (err instanceof DOMException)) return undefined; // refused / timed out
    throw err;
  }
}

/** Retry `tryFetch` a few times (the server may still be starting). */
export async function fetchEventually(url: string, tries = 20): Promise<string | undefined> {
  for (let i = 0; i < tries; i++) {
    const body = await tryFetch(url, 2000);
    if (body !== undefined) return body;
    await new Promise((r) => setTimeout(r, 150));
  }
  return undefined;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const p = (l.addr as Deno.NetAddr).port;
  l.close();
  return p;
}

/** Every iptables line (nat + filter) mentioning `needle`. */
export async function iptablesLinesWith(needle: string): Promise<string[]> {
  const out: string[] = [];
  for (const t of ["nat", "filter"]) {
    out.push(
      ...(await sh("iptables", ["-t", t, "-S"])).out.split("\n").filter((l) => l.includes(needle)),
    );
  }
  return out;
}

/** Names of the host's veth interfaces. */
export async function hostVeths(): Promise<string[]> {
  const r = await sh("ip", ["-j", "link", "show", "type", "veth"]);
  return (JSON.parse(r.out || "[]") as { ifname: string }[]).map((l) => l.ifname);
}

/** A random 64-hex container id. */
export function randomId(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}
