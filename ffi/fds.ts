/**
 * File descriptors made through libc: the init's socketpair (its end is
 * inherited because it is not close-on-exec) and stdio pipes, message
 * send/receive, and passing an fd with SCM_RIGHTS (used for the pty master).
 * @module
 */

import { libc } from "./libc.ts";
import { check, checkBig, syscallError } from "./syscall.ts";
import { errno } from "./libc.ts";
import {
  AF_UNIX,
  F_GETFD,
  F_GETFL,
  F_SETFD,
  F_SETFL,
  FD_CLOEXEC,
  O_CLOEXEC,
  O_NONBLOCK,
  SCM_RIGHTS,
  SOCK_CLOEXEC,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  SOL_SOCKET,
} from "./consts.ts";

const EINTR = 4;
const EAGAIN = 11;
const MSG_CMSG_CLOEXEC = 0x40000000;

/** A SOCK_SEQPACKET pair (message boundaries are kept). Neither end is close-on-exec. */
export function seqpacketPair(): [number, number] {
  const sv = new Int32Array(2);
  check("socketpair", libc().socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
  return [sv[0], sv[1]];
}

/** pipe2(O_CLOEXEC): [read end, write end]. */
export function pipePair(): [number, number] {
  const fds = new Int32Array(2);
  check("pipe2", libc().pipe2(new Uint8Array(fds.buffer), O_CLOEXEC));
  return [fds[0], fds[1]];
}

/** Set or clear FD_CLOEXEC on an fd. */
export function setCloexec(fd: number, on = true): void {
  const flags = check("fcntl", libc().fcntl(fd, F_GETFD, 0));
  check("fcntl", libc().fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC));
}

/** close(2); errors ignored except EBADF is reported. */
export function closeFd(fd: number): void {
  if (libc().close(fd) === -1 && errno() === 9) throw syscallError("close", 9, String(fd));
}

const CLOSE_RANGE_CLOEXEC = 4;
const ENOSYS = 38;
const EINVAL = 22;

/**
 * Mark every fd ≥ `from` close-on-exec (so execve leaks nothing):
 * close_range(CLOSE_RANGE_CLOEXEC), which needs no /proc (the exec helper's
 * /proc is the container's, where it has no entry); older kernels: /proc/self/fd.
 */
export function cloexecFrom(from: number): void {
  if (libc().close_range(from, 0xffffffff, CLOSE_RANGE_CLOEXEC) === 0) return;
  const e = errno();
  if (e !== ENOSYS && e !== EINVAL) throw syscallError("close_range", e);
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    const fd = Number(e.name);
    // The fd that listed the directory is already closed when we get here: EBADF is expected.
    if (fd >= from && libc().fcntl(fd, F_GETFD, 0) !== -1) libc().fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
}

/** Send one message (blocking). */
export function sendMsg(fd: number, data: Uint8Array): void {
  const buf = new Uint8Array(data);
  for (;;) {
    const n = Number(libc().write(fd, buf, BigInt(buf.length)));
    if (n === -1 && errno() === EINTR) continue;
    checkBig("write", n);
    return;
  }
}

/** Receive one message (blocking, on this thread). Empty array = peer closed. */
export function recvMsgSync(fd: number, max = 1 << 20): Uint8Array {
  const buf = new Uint8Array(max);
  for (;;) {
    const n = Number(libc().read(fd, buf, BigInt(max)));
    if (n === -1 && errno() === EINTR) continue;
    checkBig("read", n);
    return buf.slice(0, n);
  }
}

/** Receive one message on a worker thread (does not block the event loop). */
export async function recvMsg(fd: number, max = 1 << 20): Promise<Uint8Array> {
  const buf = new Uint8Array(max);
  for (;;) {
    const n = Number(await libc().read_async(fd, buf, BigInt(max)));
    // errno of the worker thread is not readable here; a failed read ends the channel.
    if (n < 0) return new Uint8Array(0);
    return buf.slice(0, n);
  }
}

/** Read raw bytes from an fd on a worker thread; returns null at EOF/error. */
export async function readAsync(fd: number, buf: Uint8Array<ArrayBuffer>): Promise<number | null> {
  const n = Number(await libc().read_async(fd, buf, BigInt(buf.length)));
  return n <= 0 ? null : n;
}

/** Make `fd` non-blocking (its open file description: ours alone for a pipe end we made). */
export function setNonBlocking(fd: number): void {
  const flags = check("fcntl", libc().fcntl(fd, F_GETFL, 0));
  check("fcntl", libc().fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

const POLLIN = 0x1;
const POLLERR = 0x8;
const POLLHUP = 0x10;

/**
 * Wait on a worker thread until one of `fds` is readable or hung up, or
 * `timeoutMs` passed (default: no limit); which are. A failed poll (EINTR)
 * or the timeout answers none.
 */
export async function pollReadable(fds: readonly number[], timeoutMs = -1): Promise<boolean[]> {
  const buf = new Uint8Array(8 * fds.length); // struct pollfd: int fd, short events, short revents
  const dv = new DataView(buf.buffer);
  fds.forEach((fd, i) => {
    dv.setInt32(8 * i, fd, true);
    dv.setInt16(8 * i + 4, POLLIN, true);
  });
  const n = await libc().poll_async(buf, BigInt(fds.length), timeoutMs);
  return fds.map((_, i) =>
    n > 0 && (dv.getInt16(8 * i + 6, true) & (POLLIN | POLLERR | POLLHUP)) !== 0
  );
}

/**
 * read(2) from non-blocking `fd`: the byte count, 0 at EOF, null when
 * nothing is there now (EAGAIN).
 * @throws {SyscallError} another failure.
 */
export function readNow(fd: number, buf: Uint8Array<ArrayBuffer>): number | null {
  for (;;) {
    const n = Number(libc().read(fd, buf, BigInt(buf.length)));
    if (n >= 0) return n;
    const e = errno();
    if (e === EAGAIN) return null;
    if (e !== EINTR) throw syscallError("read", e, String(fd));
  }
}

/** Write all bytes to an fd (blocking). */
export function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  const buf = new Uint8Array(data);
  while (off < buf.length) {
    const n = Number(libc().write(fd, buf.subarray(off), BigInt(buf.length - off)));
    if (n === -1) {
      const e = errno();
      if (e === EINTR || e === 11) continue;
      throw syscallError("write", e);
    }
    off += n;
  }
}

function msghdr(iov: BigUint64Array, control: Uint8Array): Uint8Array<ArrayBuffer> {
  // struct msghdr (x86_64/aarch64): name, namelen(+pad), iov, iovlen, control, controllen, flags(+pad)
  const h = new BigUint64Array(7);
  h[2] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(iov)));
  h[3] = 1n;
  h[4] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(control)));
  h[5] = BigInt(control.length);
  return new Uint8Array(h.buffer);
}

/** Send `data` and one fd over a unix socket (SCM_RIGHTS). */
export function sendFd(sock: number, fdToSend: number, data: Uint8Array): void {
  const payload = new Uint8Array(data.length ? data : new Uint8Array([0]));
  const iov = new BigUint64Array(2);
  iov[0] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(payload)));
  iov[1] = BigInt(payload.length);
  const control = new Uint8Array(24); // CMSG_SPACE(sizeof(int))
  const dv = new DataView(control.buffer);
  dv.setBigUint64(0, 20n, true); // cmsg_len = CMSG_LEN(4)
  dv.setInt32(8, SOL_SOCKET, true);
  dv.setInt32(12, SCM_RIGHTS, true);
  dv.setInt32(16, fdToSend, true);
  checkBig("sendmsg", libc().sendmsg(sock, msghdr(iov, control), 0));
}

/**
 * Receive one message that may carry one fd (SCM_RIGHTS); on a worker thread.
 * `fd` is -1 when the message carried none; empty `data` means the peer closed.
 */
export async function recvFd(sock: number): Promise<{ fd: number; data: Uint8Array }> {
  const payload = new Uint8Array(4096);
  const iov = new BigUint64Array(2);
  iov[0] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(payload)));
  iov[1] = BigInt(payload.length);
  const control = new Uint8Array(24);
  const hdr = msghdr(iov, control);
  const n = Number(await libc().recvmsg_async(sock, hdr, 0));
  if (n <= 0) return { fd: -1, data: new Uint8Array(0) };
  const dv = new DataView(control.buffer);
  const controlLen = Number(new DataView(hdr.buffer).getBigUint64(40, true));
  const hasFd = controlLen >= 20 && dv.getInt32(8, true) === SOL_SOCKET &&
    dv.getInt32(12, true) === SCM_RIGHTS;
  return { fd: hasFd ? dv.getInt32(16, true) : -1, data: payload.slice(0, n) };
}

/**
 * `recvFd` on the calling thread (blocking; the init after unshare). A
 * received fd is close-on-exec (MSG_CMSG_CLOEXEC).
 */
export function recvFdSync(sock: number): { fd: number; data: Uint8Array } {
  const payload = new Uint8Array(1 << 20);
  const iov = new BigUint64Array(2);
  iov[0] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(payload)));
  iov[1] = BigInt(payload.length);
  const control = new Uint8Array(24);
  const hdr = msghdr(iov, control);
  for (;;) {
    const n = Number(libc().recvmsg(sock, hdr, MSG_CMSG_CLOEXEC));
    if (n === -1 && errno() === EINTR) continue;
    checkBig("recvmsg", n);
    const dv = new DataView(control.buffer);
    const controlLen = Number(new DataView(hdr.buffer).getBigUint64(40, true));
    const hasFd = controlLen >= 20 && dv.getInt32(8, true) === SOL_SOCKET &&
      dv.getInt32(12, true) === SCM_RIGHTS;
    return { fd: hasFd ? dv.getInt32(16, true) : -1, data: payload.slice(0, n) };
  }
}

/**
 * A SOCK_STREAM unix socket connected to `path` (close-on-exec), e.g. a
 * runtime caller's --console-socket.
 * @throws {SyscallError} the socket cannot be reached.
 */
export function connectUnix(path: string): number {
  const fd = check("socket", libc().socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const addr = new Uint8Array(110);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  const p = new TextEncoder().encode(path);
  if (p.length > 107) {
    closeFd(fd);
    throw syscallError("connect", 36, path); // ENAMETOOLONG
  }
  addr.set(p, 2);
  if (libc().connect(fd, addr, 2 + p.length + 1) === -1) {
    const e = errno();
    closeFd(fd);
    throw syscallError("connect", e, path);
  }
  return fd;
}
