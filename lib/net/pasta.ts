/**
 * pasta driver (Debian's passt package), the fallback when slirp4netns is
 * missing: `pasta -f --config-net -t … -u … -T none -U none [--no-map-gw]
 * -P FIFO TARGET`. pasta has no ready fd; in the foreground it writes its
 * PID to the `-P` file once the namespace is configured and the ports are
 * bound, so the file is a FIFO and that line is the ready signal. Ports are
 * fixed at start. It stops on SIGTERM; unlike slirp4netns it does not
 * notice its owner dying (keep `pid`/`startTime` to clean up after a crash).
 * @module
 */

import { join } from "../posix_path.ts";
import { NetworkError } from "../errors.ts";
import { S_IFIFO } from "../../ffi/consts.ts";
import { pidStartTime } from "../container/proc.ts";
import type { Kernel } from "../kernel.ts";
import { type HelperProcess, spawnHelper, stopHelper, waitReady } from "./helper_process.ts";
import { formatIPv4 } from "./ipv4.ts";
import type { PortMapping } from "./types.ts";
import type { UsermodeNet, UsermodeTarget } from "./usermode_types.ts";

const STOP_GRACE_MS = 3000;

/** The `-t`/`-u` values for one protocol: `[ADDR/]HOST:CTR` each, or `none`. Pure. */
export function pastaPortSpecs(ports: PortMapping[], protocol: "tcp" | "udp"): string[] {
  const mine = ports.filter((p) => p.protocol === protocol);
  if (!mine.length) return ["none"];
  return mine.map((p) => `${p.hostIP ? `${p.hostIP}/` : ""}${p.hostPort}:${p.containerPort}`);
}

/** Inputs of `pastaArgs`. */
export interface PastaArgsInput {
  target: UsermodeTarget;
  ports: PortMapping[];
  mtu: number;
  allowHostLoopback: boolean;
  readyFifo: string;
  /** Running as root: keep root (`--runas 0`), or pasta drops to nobody before opening the namespaces. */
  asRoot: boolean;
}

/** The pasta argv (after the program name). Pure. */
export function pastaArgs(o: PastaArgsInput): string[] {
  const a = ["--foreground", "--quiet", "--config-net", "--mtu", String(o.mtu)];
  for (const s of pastaPortSpecs(o.ports, "tcp")) a.push("-t", s);
  for (const s of pastaPortSpecs(o.ports, "udp")) a.push("-u", s);
  a.push("-T", "none", "-U", "none"); // nothing from the container to the host's ports by itself
  if (!o.allowHostLoopback) a.push("--no-map-gw");
  if (o.asRoot) a.push("--runas", "0");
  a.push("--pid", o.readyFifo);
  if ("pid" in o.target) {
    a.push(String(o.target.pid));
  } else {
    if (o.target.usernsPath) a.push("--userns", o.target.usernsPath);
    a.push("--netns", o.target.netnsPath);
  }
  return a;
}

/** The host's IPv4 default route from /proc/net/route text: interface and gateway. Pure. */
export function defaultRoute(text: string): { iface: string; gateway: string } | undefined {
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[1] !== "00000000" || f[7] !== "00000000") continue;
    const le = parseInt(f[2], 16); // little-endian on every Linux pasta runs on
    const be = ((le & 0xff) << 24 | (le >>> 8 & 0xff) << 16 | (le >>> 16 & 0xff) << 8 |
      le >>> 24) >>> 0;
    return { iface: f[0], gateway: formatIPv4(be) };
  }
  return undefined;
}

/** Inputs of `startPasta`. */
export interface PastaStart {
  binary: string;
  target: UsermodeTarget;
  ports: PortMapping[];
  mtu: number;
  allowHostLoopback: boolean;
  runDir: string;
  kernel: Pick<Kernel, "mknod">;
  readyTimeoutMs: number;
}

/**
 * Start pasta and wait for the PID line on its FIFO.
 * On failure the process is stopped and the FIFO removed before the throw.
 * @throws {NetworkError} it could not start or failed before ready (a busy port among them).
 */
export async function startPasta(o: PastaStart): Promise<UsermodeNet> {
  const route = defaultRoute(Deno.readTextFileSync("/proc/net/route"));
  if (!route) {
    throw new NetworkError("pasta needs an IPv4 default route on the host", { op: "pasta" });
  }
  if ("pid" in o.target && Deno.uid() === 0 && inOurUserns(o.target.pid)) {
    // pasta drops its capabilities before it opens /proc/PID/ns/net, and a
    // capability-less process may not open a root process's namespaces
    throw new NetworkError("pasta cannot join a root-owned network namespace by PID", {
      op: "pasta",
      hint: "pass a bind-mounted netns path as the target, or use slirp4netns",
    });
  }
  const fifo = join(o.runDir, "pasta.ready");
  o.kernel.mknod(fifo, S_IFIFO | 0o600, 0n);
  // read+write: the open does not wait for pasta, and we can wake our own read
  const ff = await Deno.open(fifo, { read: true, write: true });
  const args = pastaArgs({ ...o, readyFifo: fifo, asRoot: Deno.uid() === 0 });
  const t0 = performance.now();
  let h: HelperProcess;
  try {
    h = await spawnHelper("pasta", o.binary, args, 0);
  } catch (err) {
    ff.close();
    Deno.removeSync(fifo);
    throw err;
  }
  const helper = h;
  const pidLine = readLine(ff);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      await stopHelper(helper, () => helper.kill("SIGTERM"), STOP_GRACE_MS);
      // wake our read if pasta never wrote its line: a second handle, as a
      // pending read holds the first (the open does not block: we are a reader)
      const w = await Deno.open(fifo, { write: true });
      await w.write(new Uint8Array([10])).finally(() => w.close());
      await pidLine;
      ff.close();
      Deno.removeSync(fifo);
    })();
  // only a PID is the ready signal; the empty line above is not
  const ready = pidLine.then((l) => /^\d+$/.test(l) ? undefined : new Promise<void>(() => {}));
  try {
    await waitReady(h, ready, o.readyTimeoutMs);
    const readyMs = performance.now() - t0;
    const ip = Deno.networkInterfaces().find((i) => i.name === route.iface && i.family === "IPv4");
    return {
      backend: "pasta",
      pid: h.pid,
      startTime: pidStartTime(h.pid),
      ifname: route.iface,
      ip: ip?.address ?? "",
      gateway: route.gateway,
      dns: [],
      ports: [...o.ports],
      readyMs,
      addPorts: () => {
        throw new NetworkError("pasta cannot publish ports on a running container", {
          op: "publish",
        });
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** True when `pid` is in the caller's user namespace (so not a rootless container). */
function inOurUserns(pid: number): boolean {
  return Deno.readLinkSync(`/proc/${pid}/ns/user`) === Deno.readLinkSync("/proc/self/ns/user");
}

/** One line from the FIFO (pasta writes "PID\n"). */
async function readLine(f: Deno.FsFile): Promise<string> {
  const buf = new Uint8Array(64);
  let text = "";
  while (!text.includes("\n")) {
    const n = await f.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  return text.trim();
}
