/**
 * slirp4netns driver: `slirp4netns --configure --mtu=M [--disable-host-loopback]
 * --ready-fd=3 --exit-fd=4 --api-socket=SOCK TARGET tap0`. It is ready when
 * it writes "1" on fd 3; it exits when fd 4 reaches EOF — our end closing,
 * by `stop()` or by the kernel when this process dies, so it can never
 * outlive its owner. Ports are published through its API socket
 * (`add_hostfwd`), one JSON request per connection.
 * @module
 */

import { join } from "../posix_path.ts";
import { NetworkError } from "../errors.ts";
import { pidStartTime } from "../container/proc.ts";
import { type HelperProcess, spawnHelper, stopHelper, waitReady } from "./helper_process.ts";
import { bindingText } from "./hostports.ts";
import type { PortMapping } from "./types.ts";
import type { UsermodeNet, UsermodeTarget } from "./usermode_types.ts";

/** slirp4netns' fixed addresses with `--configure` (default CIDR 10.0.2.0/24). */
export const SLIRP_IP = "10.0.2.100";
/** The host as the container sees it (its loopback only without --disable-host-loopback). */
export const SLIRP_GATEWAY = "10.0.2.2";
/** slirp4netns' DNS forwarder (to the host's resolv.conf nameservers). */
export const SLIRP_DNS = "10.0.2.3";
/** The tap device slirp4netns creates in the container. */
export const SLIRP_IFNAME = "tap0";

const READY_FD = 3;
const EXIT_FD = 4;
/** How long slirp4netns gets to exit after its exit fd closed, before SIGKILL. */
const STOP_GRACE_MS = 3000;

/** Inputs of `slirpArgs`. */
export interface SlirpArgsInput {
  target: UsermodeTarget;
  mtu: number;
  allowHostLoopback: boolean;
  apiSocket: string;
  sandbox: boolean;
}

/** The slirp4netns argv (after the program name). Pure. */
export function slirpArgs(o: SlirpArgsInput): string[] {
  const a = [
    "--configure",
    `--mtu=${o.mtu}`,
    `--ready-fd=${READY_FD}`,
    `--exit-fd=${EXIT_FD}`,
    `--api-socket=${o.apiSocket}`,
  ];
  if (!o.allowHostLoopback) a.push("--disable-host-loopback");
  if (o.sandbox) a.push("--enable-sandbox", "--enable-seccomp");
  if ("pid" in o.target) {
    a.push(String(o.target.pid));
  } else {
    a.push("--netns-type=path");
    if (o.target.usernsPath) a.push(`--userns-path=${o.target.usernsPath}`);
    a.push(o.target.netnsPath);
  }
  a.push(SLIRP_IFNAME);
  return a;
}

/** The `add_hostfwd` request for one mapping. Pure. */
export function hostfwdRequest(p: PortMapping): Record<string, unknown> {
  return {
    execute: "add_hostfwd",
    arguments: {
      proto: p.protocol,
      host_addr: p.hostIP || "0.0.0.0",
      host_port: p.hostPort,
      guest_addr: SLIRP_IP,
      guest_port: p.containerPort,
    },
  };
}

/**
 * One request on slirp4netns' API socket: write it, shut down our side
 * (slirp4netns reads to EOF), read the JSON answer.
 * @returns the `return` member.
 * @throws {NetworkError} an `error` answer or an unreadable one.
 */
export async function slirpRequest(
  socket: string,
  req: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  let text = "";
  try {
    const bytes = new TextEncoder().encode(JSON.stringify(req));
    for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
    await conn.closeWrite();
    const dec = new TextDecoder();
    const buf = new Uint8Array(4096);
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      text += dec.decode(buf.subarray(0, n), { stream: true });
    }
  } finally {
    conn.close();
  }
  let answer: { return?: Record<string, unknown>; error?: { desc?: string } };
  try {
    answer = JSON.parse(text);
  } catch (err) {
    throw new NetworkError(`slirp4netns API: unreadable answer ${JSON.stringify(text)}`, {
      op: "slirp4netns",
      cause: err,
    });
  }
  if (answer.error || !answer.return) {
    throw new NetworkError(`slirp4netns: ${answer.error?.desc ?? "no answer"}`, {
      op: "slirp4netns",
    });
  }
  return answer.return;
}

/** Publish `ports` through the API socket; a refusal names the binding. */
async function addHostfwds(socket: string, ports: PortMapping[]): Promise<void> {
  for (const p of ports) {
    try {
      await slirpRequest(socket, hostfwdRequest(p));
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      throw new NetworkError(`cannot publish host port ${bindingText(p)}: ${err.message}`, {
        op: "publish",
        hint: "is the port in use, or below 1024 for an unprivileged user?",
      });
    }
  }
}

/** Inputs of `startSlirp` (validated and resolved by `startUsermodeNet`). */
export interface SlirpStart {
  binary: string;
  target: UsermodeTarget;
  ports: PortMapping[];
  mtu: number;
  allowHostLoopback: boolean;
  sandbox: boolean;
  runDir: string;
  readyTimeoutMs: number;
}

/**
 * Start slirp4netns, wait for its ready fd, publish the ports.
 * On any failure the process is stopped (and reaped) before the throw.
 * @throws {NetworkError} it could not start, failed before ready, or a port was refused.
 */
export async function startSlirp(o: SlirpStart): Promise<UsermodeNet> {
  const apiSocket = join(o.runDir, "slirp4netns.sock");
  const args = slirpArgs({ ...o, apiSocket });
  const t0 = performance.now();
  const h = await spawnHelper("slirp4netns", o.binary, args, 2);
  let stopping: Promise<void> | undefined;
  const stop = () => stopping ??= stopSlirp(h, apiSocket);
  try {
    await waitReady(h, readyOn(h.fd(READY_FD)), o.readyTimeoutMs);
    const readyMs = performance.now() - t0;
    await addHostfwds(apiSocket, o.ports);
    const ports = [...o.ports];
    return {
      backend: "slirp4netns",
      pid: h.pid,
      startTime: pidStartTime(h.pid),
      ifname: SLIRP_IFNAME,
      ip: SLIRP_IP,
      gateway: SLIRP_GATEWAY,
      dns: [SLIRP_DNS],
      ports,
      apiSocket,
      readyMs,
      addPorts: async (more) => {
        await addHostfwds(apiSocket, more);
        ports.push(...more);
        return more;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Resolves when slirp4netns writes "1" on its ready fd. */
function readyOn(fd: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    fd.on("data", (chunk: Uint8Array | string) => {
      if (String(chunk).includes("1")) resolve();
    });
  });
}

/** Close the exit fd, wait for the exit (SIGKILL after a grace), remove the socket. */
async function stopSlirp(h: HelperProcess, apiSocket: string): Promise<void> {
  await stopHelper(h, () => h.fd(EXIT_FD).destroy(), STOP_GRACE_MS);
  try {
    Deno.removeSync(apiSocket);
  } catch (err) {
    // slirp4netns removes it itself on a clean exit, or never got to bind it
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}
