/**
 * /etc/resolv.conf for a container on the user-mode network: `--dns`
 * servers when given, else the helper's forwarder (slirp4netns: 10.0.2.3,
 * which asks the host's resolvers, loopback ones included), else — pasta,
 * which has no forwarder here — the host's non-loopback nameservers as on
 * a bridge. The host's search and options lines are kept.
 * @module
 */

import { join } from "../posix_path.ts";
import { readTextIfExists } from "../fsutil.ts";
import { buildResolvConf, hostResolvConf } from "./etc_files.ts";
import { writeInPlace } from "./hosts_sync.ts";
import type { UsermodeNet } from "./usermode_types.ts";

/** Build the resolv.conf text. Pure. */
export function buildUsermodeResolvConf(
  hostText: string,
  net: Pick<UsermodeNet, "dns">,
  dns: string[],
): string {
  return buildResolvConf(hostText, dns.length ? dns : net.dns, false);
}

/**
 * Write `dir/resolv.conf` for `net` (in place when it exists: it may be
 * bind-mounted into the running container already). Call after
 * `writeEtcFiles`, which wrote the bridge form. Returns the path.
 * @throws {Deno.errors.*} file system errors.
 */
export function writeUsermodeResolvConf(
  dir: string,
  net: Pick<UsermodeNet, "dns">,
  dns: string[],
  read: (path: string) => string | undefined = readTextIfExists,
): string {
  const path = join(dir, "resolv.conf");
  writeInPlace(path, buildUsermodeResolvConf(hostResolvConf(read), net, dns));
  return path;
}
