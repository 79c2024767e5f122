/**
 * Child process of load_test.ts: load a seccomp profile on its main thread
 * and report, as one JSON line on stdout, the Seccomp line of
 * /proc/thread-self/status and what a few system calls then return.
 *
 * Usage: deno run -A _load_child.ts [--caps A,B,...] [--default-errno N|none] [--no-nnp]
 *   --caps              capabilities the profile is converted for (default: docker's 14)
 *   --default-errno     set the profile's defaultErrnoRet to N, or drop it ("none": EPERM)
 *   --no-nnp            do not set no_new_privs before loading
 *   --twice             load a second copy through precompiledSeccompLoader
 *   --chroot DIR        chroot to DIR first (libseccomp must then refuse to open); no probes
 * @module
 */

import { DEFAULT_CAPABILITIES } from "../../lib/oci/defaults.ts";
import { defaultSeccompProfile } from "../../lib/seccomp/default_profile.ts";
import { hostSeccompTarget, profileToSeccomp } from "../../lib/seccomp/convert.ts";
import {
  compileSeccomp,
  installSeccomp,
  precompiledSeccompLoader,
} from "../../lib/seccomp/load.ts";
import { setNoNewPrivs } from "../../ffi/caps.ts";
import { rawSyscall } from "../../ffi/raw_syscall.ts";
import { resolveSyscall } from "../../ffi/seccomp_filter.ts";
import { SyscallError } from "../../lib/errors.ts";
import { formatError } from "../../lib/errors.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";

const args = [...Deno.args];
const flag = (name: string): boolean => {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
};
const capsAt = args.indexOf("--caps");
const caps = capsAt >= 0 ? args[capsAt + 1].split(",").filter((c) => c) : DEFAULT_CAPABILITIES;
const errnoAt = args.indexOf("--default-errno");
const defaultErrno = errnoAt >= 0 ? args[errnoAt + 1] : undefined;
const noNnp = flag("--no-nnp");
const stackTwice = flag("--twice");
const chrootAt = args.indexOf("--chroot");
const chrootDir = chrootAt >= 0 ? args[chrootAt + 1] : undefined;

/** The probes: name, syscall, numeric args. Chosen so that an unfiltered kernel answers otherwise. */
const PROBES: [string, string, (number | bigint)[]][] = [
  ["getpid", "getpid", []],
  // on no allow list: the default action
  ["userfaultfd", "userfaultfd", [0]],
  ["add_key", "add_key", [0, 0, 0, 0, 0]],
  // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0): unfiltered it answers an id
  ["keyctl", "keyctl", [0, -3, 0]],
  // CAP_SYS_ADMIN-only: EPERM without it (unfiltered: EINVAL for this command)
  ["bpf", "bpf", [9999, 0, 0]],
  // unshare(CLONE_NEWUSER): unfiltered the kernel refuses a threaded caller (Deno) with EINVAL
  ["unshare_user", "unshare", [0x10000000]],
  // personality: only listed personas are allowed (0xffffffff = query)
  ["personality_query", "personality", [0xffffffff]],
  ["personality_bsd", "personality", [0x0006]],
  // socket(AF_ALG, SOCK_SEQPACKET, 0) is refused whatever the caps; AF_NETLINK passes
  ["socket_alg", "socket", [38, 5, 0]],
  ["socket_netlink_route", "socket", [16, 3, 0]],
  // setns(-1, 0): CAP_SYS_ADMIN-only; unfiltered the kernel answers EBADF
  ["setns", "setns", [-1, 0]],
];

const out: Record<string, unknown> = {};
if (chrootDir !== undefined) {
  const spec = profileToSeccomp(defaultSeccompProfile(), hostSeccompTarget(caps));
  const k = new LinuxKernel();
  k.chroot(chrootDir);
  k.chdir("/");
  try {
    compileSeccomp(spec);
    out.loaded = true;
  } catch (err) {
    out.loaded = false;
    out.error = formatError(err);
  }
  console.log(JSON.stringify(out));
  Deno.exit(0);
}

const numbers = PROBES.map(([, name]) => {
  const nr = resolveSyscall(name);
  if (nr === null || nr < 0) throw new Error(`no syscall number for ${name} on this arch`);
  return nr;
});

try {
  if (!noNnp) setNoNewPrivs();
  const t0 = performance.now();
  const profile = defaultSeccompProfile();
  if (defaultErrno === "none") delete profile.defaultErrnoRet;
  else if (defaultErrno !== undefined) profile.defaultErrnoRet = Number(defaultErrno);
  const seccomp = profileToSeccomp(profile, hostSeccompTarget(caps));
  const t1 = performance.now();
  const compiled = compileSeccomp(seccomp);
  const t2 = performance.now();
  installSeccomp(compiled);
  const t3 = performance.now();
  out.ms = { convert: t1 - t0, compile: t2 - t1, install: t3 - t2 };
  out.instructions = compiled.bpf.length / 8;
  if (stackTwice) {
    // a second filter through the precompiled loader the init uses: filters stack
    const load = precompiledSeccompLoader(seccomp);
    load(seccomp);
  }
  out.loaded = true;
} catch (err) {
  out.loaded = false;
  out.error = formatError(err);
}

const status = Deno.readTextFileSync("/proc/thread-self/status");
out.seccomp = status.split("\n").find((l) => l.startsWith("Seccomp:")) ?? "";
out.filters = status.split("\n").find((l) => l.startsWith("Seccomp_filters:")) ?? "";
const results: Record<string, string> = {};
PROBES.forEach(([label, , argv], i) => {
  try {
    rawSyscall(label, numbers[i], argv);
    results[label] = "ok";
  } catch (err) {
    if (!(err instanceof SyscallError)) throw err;
    results[label] = err.errnoName;
  }
});
out.results = results;
console.log(JSON.stringify(out));
