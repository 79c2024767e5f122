/**
 * Network interface flags through ioctl (used to bring `lo` up in a new netns).
 * @module
 */

import { libc } from "./libc.ts";
import { check } from "./syscall.ts";
import { AF_INET, IFF_UP, SIOCGIFFLAGS, SIOCSIFFLAGS, SOCK_CLOEXEC, SOCK_DGRAM } from "./consts.ts";

/** Set IFF_UP on interface `name` in the current network namespace. */
export function interfaceUp(name: string): void {
  const sock = check("socket", libc().socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  try {
    const ifr = new Uint8Array(40); // struct ifreq: char name[16]; short flags; …
    ifr.set(new TextEncoder().encode(name).subarray(0, 15));
    check("ioctl(SIOCGIFFLAGS)", libc().ioctl(sock, BigInt(SIOCGIFFLAGS), ifr), name);
    const dv = new DataView(ifr.buffer);
    dv.setInt16(16, dv.getInt16(16, true) | IFF_UP, true);
    check("ioctl(SIOCSIFFLAGS)", libc().ioctl(sock, BigInt(SIOCSIFFLAGS), ifr), name);
  } finally {
    libc().close(sock);
  }
}
