/**
 * The rootless user-mode network: a container's network namespace gets a
 * tap interface served from the host side by an unprivileged helper —
 * slirp4netns (preferred: ready and exit fds, ports added at run time
 * through its API socket) or pasta (the fallback). Published ports are
 * host sockets of the helper, so `-p` works without root; outbound
 * TCP/UDP/DNS leave through the helper's own sockets.
 *
 * The run path calls, after the init has unshared its namespaces (and the
 * user namespace has its maps):
 * 1. `startUsermodeNet({ target: { pid }, ports, runDir })` from the process
 *    that lives as long as the container (the CLI in the foreground, the
 *    `__monitor` when detached): slirp4netns exits when that process does;
 * 2. `writeUsermodeResolvConf(dir, net, dns)` (usermode_resolv.ts);
 * 3. `net.stop()` on every exit path.
 * @module
 */

import { isAbsolute, join } from "../posix_path.ts";
import { NetworkError, UsageError } from "../errors.ts";
import { assertHostPortsFree, bindingText, resolveRandomPorts } from "./hostports.ts";
import { parseIPv4 } from "./ipv4.ts";
import { startPasta } from "./pasta.ts";
import { hostBindingsClash } from "./ports.ts";
import { startSlirp } from "./slirp4netns.ts";
import type { PortMapping } from "./types.ts";
import type { UsermodeBackend, UsermodeNet, UsermodeOptions } from "./usermode_types.ts";

export type {
  UsermodeBackend,
  UsermodeNet,
  UsermodeOptions,
  UsermodeTarget,
} from "./usermode_types.ts";
export { SLIRP_DNS, SLIRP_GATEWAY, SLIRP_IP } from "./slirp4netns.ts";
export { buildUsermodeResolvConf, writeUsermodeResolvConf } from "./usermode_resolv.ts";

/** podman's MTU for slirp4netns and pasta. */
export const DEFAULT_MTU = 65520;
/** Where the helpers are looked up (tsbox's environment is not trusted for this). */
const HELPER_DIRS = ["/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin"];
/** sun_path is 108 bytes with its NUL. */
const MAX_SOCKET_PATH = 107;

/** Absolute path of an installed helper, or undefined. */
export function findHelper(
  name: UsermodeBackend,
  isExecutable: (path: string) => boolean = executable,
): string | undefined {
  return HELPER_DIRS.map((d) => join(d, name)).find(isExecutable);
}

function executable(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && ((st.mode ?? 0) & 0o111) !== 0;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false; // not installed there
    throw err;
  }
}

/**
 * Pick the helper: the one asked for, or for `auto` slirp4netns, else pasta.
 * @throws {NetworkError} it (or, for auto, both) is not installed.
 */
export function chooseBackend(
  wanted: UsermodeBackend | "auto",
  find: (name: UsermodeBackend) => string | undefined = (n) => findHelper(n),
): { backend: UsermodeBackend; binary: string } {
  const order: UsermodeBackend[] = wanted === "auto" ? ["slirp4netns", "pasta"] : [wanted];
  for (const backend of order) {
    const binary = find(backend);
    if (binary) return { backend, binary };
  }
  const what = wanted === "auto" ? "slirp4netns or pasta" : wanted;
  throw new NetworkError(`the user-mode network needs ${what}, which is not installed`, {
    op: "network",
    hint: wanted === "pasta" ? "install the passt package" : "install the slirp4netns package",
  });
}

/**
 * Check the options before anything is started. Pure.
 * @throws {UsageError} a bad target, MTU, run dir, or port mapping.
 */
export function validateUsermode(o: UsermodeOptions): void {
  const t = o.target;
  if ("pid" in t) {
    if (!Number.isInteger(t.pid) || t.pid <= 0) {
      throw new UsageError(`user-mode network: bad target pid ${t.pid}`);
    }
  } else if (
    !isAbsolute(t.netnsPath) || (t.usernsPath !== undefined && !isAbsolute(t.usernsPath))
  ) {
    throw new UsageError("user-mode network: namespace paths must be absolute");
  }
  const mtu = o.mtu ?? DEFAULT_MTU;
  if (!Number.isInteger(mtu) || mtu < 1280 || mtu > 65520) {
    throw new UsageError(`user-mode network: MTU ${mtu} is outside 1280-65520`);
  }
  if (!isAbsolute(o.runDir)) {
    throw new UsageError(`user-mode network: run dir ${o.runDir} is not absolute`);
  }
  const sock = join(o.runDir, "slirp4netns.sock");
  if (new TextEncoder().encode(sock).length > MAX_SOCKET_PATH) {
    throw new UsageError(
      `user-mode network: run dir ${o.runDir} is too long for a socket path (max ${MAX_SOCKET_PATH} bytes)`,
    );
  }
  o.ports.forEach((p, i) => {
    validPort(p);
    const twin = o.ports.slice(0, i).find((q) => hostBindingsClash(p, q));
    if (twin) throw new UsageError(`host port ${bindingText(p)} is published twice`);
  });
}

function validPort(p: PortMapping): void {
  const port = (n: number, min: number) => Number.isInteger(n) && n >= min && n <= 65535;
  if (p.protocol !== "tcp" && p.protocol !== "udp") {
    throw new UsageError(`invalid protocol "${p.protocol}": expected tcp or udp`);
  }
  if (!port(p.containerPort, 1) || !port(p.hostPort, 0)) {
    throw new UsageError(`invalid port mapping ${p.hostPort}:${p.containerPort}/${p.protocol}`);
  }
  if (p.hostIP !== "" && parseIPv4(p.hostIP) === undefined) {
    throw new UsageError(`invalid host IP "${p.hostIP}": the user-mode network publishes on IPv4`);
  }
}

/**
 * Start the user-mode network of one container and publish its ports.
 * Works unprivileged: the helper runs as the caller and enters the target's
 * user and network namespaces itself (the caller must own that user
 * namespace; /dev/net/tun must be mode 0666). Ready when it returns; on
 * any failure nothing is left running.
 * @throws {UsageError} bad options (see `validateUsermode`).
 * @throws {NetworkError} helper missing, host port busy/unbindable, helper failed (its last line).
 */
export async function startUsermodeNet(o: UsermodeOptions): Promise<UsermodeNet> {
  validateUsermode(o);
  const { backend, binary } = chooseBackend(o.backend ?? "auto");
  const ports = await resolveRandomPorts(o.ports, []);
  await assertHostPortsFree(ports, []);
  const common = {
    binary,
    target: o.target,
    ports,
    mtu: o.mtu ?? DEFAULT_MTU,
    allowHostLoopback: o.allowHostLoopback ?? false,
    runDir: o.runDir,
    readyTimeoutMs: o.readyTimeoutMs ?? 10_000,
  };
  if (backend === "slirp4netns") return await startSlirp({ ...common, sandbox: o.sandbox ?? true });
  if (!o.kernel) throw new TypeError("startUsermodeNet: pasta needs a kernel (mknod)");
  return await startPasta({ ...common, kernel: o.kernel });
}
