/**
 * Pseudo-terminals: open a pty pair from a devpts instance, make the slave
 * the controlling tty, and set window size.
 * @module
 */

import { libc } from "./libc.ts";
import { check } from "./syscall.ts";
import { cstr, fromCBuffer } from "./cstring.ts";
import { O_CLOEXEC, O_NOCTTY, O_RDWR, TIOCSCTTY, TIOCSWINSZ } from "./consts.ts";

/** Open `ptmx` (e.g. `/dev/ptmx` inside the container); returns master fd and slave path. */
export function openPty(ptmx = "/dev/ptmx"): { master: number; slavePath: string } {
  const master = check("open", libc().open(cstr(ptmx), O_RDWR | O_NOCTTY | O_CLOEXEC, 0), ptmx);
  check("unlockpt", libc().unlockpt(master), ptmx);
  const name = new Uint8Array(128);
  const r = libc().ptsname_r(master, name, 128n);
  if (r !== 0) check("ptsname_r", -1, ptmx);
  return { master, slavePath: fromCBuffer(name) };
}

/** open(2) a path O_RDWR|O_NOCTTY (not close-on-exec). */
export function openRdwr(path: string): number {
  return check("open", libc().open(cstr(path), O_RDWR | O_NOCTTY, 0), path);
}

/** Make `fd` (a tty) the controlling terminal of this session. */
export function setControllingTty(fd: number): void {
  check("ioctl(TIOCSCTTY)", libc().ioctl(fd, BigInt(TIOCSCTTY), null));
}

/** Set the window size of a tty (master or slave). */
export function setWinsize(fd: number, rows: number, cols: number): void {
  const ws = new Uint16Array([rows, cols, 0, 0]);
  check("ioctl(TIOCSWINSZ)", libc().ioctl(fd, BigInt(TIOCSWINSZ), new Uint8Array(ws.buffer)));
}

/** dup2(2). */
export function dup2(oldFd: number, newFd: number): void {
  check("dup2", libc().dup2(oldFd, newFd));
}
