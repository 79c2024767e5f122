/**
 * Credentials of the calling thread: capability sets (capset, bounding and
 * ambient through prctl), keep-caps, dumpable, no_new_privs, rlimits and
 * the session keyring. Capability and prctl state is per thread in Linux:
 * call these on the thread that will execve (the main thread).
 * @module
 */

import { libc } from "./libc.ts";
import { check, checkBig } from "./syscall.ts";
import { cstr } from "./cstring.ts";
import {
  _LINUX_CAPABILITY_VERSION_3,
  KEYCTL_JOIN_SESSION_KEYRING,
  PR_CAP_AMBIENT,
  PR_CAP_AMBIENT_CLEAR_ALL,
  PR_CAP_AMBIENT_RAISE,
  PR_CAPBSET_DROP,
  PR_CAPBSET_READ,
  PR_SET_DUMPABLE,
  PR_SET_KEEPCAPS,
  PR_SET_NO_NEW_PRIVS,
  SYS_keyctl,
} from "./consts.ts";

/** The three capset sets as bit masks (bit N = capability number N). */
export interface CapSets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

function prctl(op: number, a2 = 0n, a3 = 0n, what = "prctl"): number {
  return check(what, libc().prctl(op, a2, a3, 0n, 0n));
}

/** Highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap). */
export function capLastCap(): number {
  return Number(Deno.readTextFileSync("/proc/sys/kernel/cap_last_cap").trim());
}

/** Whether capability `cap` is in the calling thread's bounding set. */
export function capInBounding(cap: number): boolean {
  return prctl(PR_CAPBSET_READ, BigInt(cap), 0n, "prctl(PR_CAPBSET_READ)") === 1;
}

/** Drop `cap` from the bounding set (needs CAP_SETPCAP). */
export function capBoundingDrop(cap: number): void {
  prctl(PR_CAPBSET_DROP, BigInt(cap), 0n, "prctl(PR_CAPBSET_DROP)");
}

/** Raise `cap` in the ambient set (must be permitted and inheritable). */
export function capAmbientRaise(cap: number): void {
  prctl(PR_CAP_AMBIENT, BigInt(PR_CAP_AMBIENT_RAISE), BigInt(cap), "prctl(PR_CAP_AMBIENT_RAISE)");
}

/** Empty the ambient set. */
export function capAmbientClear(): void {
  prctl(PR_CAP_AMBIENT, BigInt(PR_CAP_AMBIENT_CLEAR_ALL), 0n, "prctl(PR_CAP_AMBIENT)");
}

/** capset(2) of the calling thread (version 3: 64 bits per set). */
export function capSet(sets: CapSets): void {
  const hdr = new Uint32Array([_LINUX_CAPABILITY_VERSION_3, 0]);
  const lo = (v: bigint) => Number(v & 0xffffffffn);
  const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
  const data = new Uint32Array([
    lo(sets.effective),
    lo(sets.permitted),
    lo(sets.inheritable),
    hi(sets.effective),
    hi(sets.permitted),
    hi(sets.inheritable),
  ]);
  check("capset", libc().capset(new Uint8Array(hdr.buffer), new Uint8Array(data.buffer)));
}

/** capget(2) of the calling thread. */
export function capGet(): CapSets {
  const hdr = new Uint32Array([_LINUX_CAPABILITY_VERSION_3, 0]);
  const data = new Uint32Array(6);
  check("capget", libc().capget(new Uint8Array(hdr.buffer), new Uint8Array(data.buffer)));
  const join = (l: number, h: number) => (BigInt(h) << 32n) | BigInt(l);
  return {
    effective: join(data[0], data[3]),
    permitted: join(data[1], data[4]),
    inheritable: join(data[2], data[5]),
  };
}

/** PR_SET_KEEPCAPS: keep permitted capabilities across the next setuid away from 0. */
export function setKeepCaps(on: boolean): void {
  prctl(PR_SET_KEEPCAPS, on ? 1n : 0n, 0n, "prctl(PR_SET_KEEPCAPS)");
}

/** PR_SET_DUMPABLE: a non-dumpable process cannot be ptraced or have its /proc entries opened by others. */
export function setDumpable(on: boolean): void {
  prctl(PR_SET_DUMPABLE, on ? 1n : 0n, 0n, "prctl(PR_SET_DUMPABLE)");
}

/** PR_SET_NO_NEW_PRIVS: execve can never grant privileges again (setuid bits, file caps). */
export function setNoNewPrivs(): void {
  prctl(PR_SET_NO_NEW_PRIVS, 1n, 0n, "prctl(PR_SET_NO_NEW_PRIVS)");
}

const RLIM_INFINITY = 0xffffffffffffffffn;

/** The struct rlimit of `soft`/`hard`; `Infinity` (or a negative) means RLIM_INFINITY. */
function rlimitStruct(soft: number, hard: number): Uint8Array<ArrayBuffer> {
  const v = (n: number) => (n === Infinity || n < 0) ? RLIM_INFINITY : BigInt(n);
  return new Uint8Array(new BigUint64Array([v(soft), v(hard)]).buffer);
}

/** setrlimit(2); `Infinity` means RLIM_INFINITY. */
export function setRlimit(resource: number, soft: number, hard: number): void {
  check("setrlimit", libc().setrlimit(resource, rlimitStruct(soft, hard)));
}

/** getrlimit(2): the soft and hard limit, `Infinity` for RLIM_INFINITY. */
export function getRlimit(resource: number): { soft: number; hard: number } {
  const buf = new BigUint64Array(2);
  check("getrlimit", libc().getrlimit(resource, new Uint8Array(buf.buffer)));
  const n = (v: bigint) => v === RLIM_INFINITY ? Infinity : Number(v);
  return { soft: n(buf[0]), hard: n(buf[1]) };
}

/**
 * setrlimit(2) of each of `limits`, prepared: the returned function only
 * makes the calls, with the structs built now, so it allocates nothing
 * (it runs after a lowered RLIMIT_AS, when the runtime may not grow).
 * @returns a function that throws SyscallError for a refused limit.
 */
export function prepareRlimits(
  limits: readonly { resource: number; soft: number; hard: number }[],
): () => void {
  const resources = limits.map((l) => l.resource);
  const structs = limits.map((l) => rlimitStruct(l.soft, l.hard));
  const set = libc().setrlimit; // bound now, not on the first call
  return () => {
    for (let i = 0; i < resources.length; i++) check("setrlimit", set(resources[i], structs[i]));
  };
}

/** Join a new session keyring named `name` (keyctl(KEYCTL_JOIN_SESSION_KEYRING)). */
export function joinSessionKeyring(name: string): void {
  checkBig(
    "keyctl(KEYCTL_JOIN_SESSION_KEYRING)",
    libc().syscall_keyctl(BigInt(SYS_keyctl), BigInt(KEYCTL_JOIN_SESSION_KEYRING), cstr(name)),
  );
}
