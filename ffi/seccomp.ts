/**
 * The libseccomp symbol table, its constants and the one place the library
 * is opened (`libseccomp.so.2`, Debian's libseccomp2).
 *
 * Requires `--allow-ffi`. libseccomp reports failure as a negative errno
 * return value (not through `errno`); `checkScmp` turns it into a
 * `SyscallError`. Constants keep their `seccomp.h` spelling.
 * @module
 */

import { TsboxError } from "../lib/errors.ts";
import { syscallError } from "./syscall.ts";

const SYMBOLS = {
  /** scmp_filter_ctx seccomp_init(uint32_t def_action) — NULL on failure */
  seccomp_init: { parameters: ["u32"], result: "pointer" },
  /** void seccomp_release(scmp_filter_ctx ctx) */
  seccomp_release: { parameters: ["pointer"], result: "void" },
  /** uint32_t seccomp_arch_resolve_name(const char *arch_name) — 0 when unknown */
  seccomp_arch_resolve_name: { parameters: ["buffer"], result: "u32" },
  /** uint32_t seccomp_arch_native(void) */
  seccomp_arch_native: { parameters: [], result: "u32" },
  /** int seccomp_arch_exist(const scmp_filter_ctx ctx, uint32_t arch_token) — 0, -EEXIST if absent */
  seccomp_arch_exist: { parameters: ["pointer", "u32"], result: "i32" },
  /** int seccomp_arch_add(scmp_filter_ctx ctx, uint32_t arch_token) */
  seccomp_arch_add: { parameters: ["pointer", "u32"], result: "i32" },
  /** int seccomp_attr_set(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value) */
  seccomp_attr_set: { parameters: ["pointer", "i32", "u32"], result: "i32" },
  /** int seccomp_syscall_resolve_name(const char *name) — __NR_SCMP_ERROR (-1) when unknown */
  seccomp_syscall_resolve_name: { parameters: ["buffer"], result: "i32" },
  /** int seccomp_syscall_resolve_name_arch(uint32_t arch_token, const char *name) */
  seccomp_syscall_resolve_name_arch: { parameters: ["u32", "buffer"], result: "i32" },
  /**
   * int seccomp_rule_add_array(scmp_filter_ctx ctx, uint32_t action, int syscall,
   *   unsigned int arg_cnt, const struct scmp_arg_cmp *arg_array)
   */
  seccomp_rule_add_array: {
    parameters: ["pointer", "u32", "i32", "u32", "buffer"],
    result: "i32",
  },
  /**
   * int seccomp_load(const scmp_filter_ctx ctx) — acts on the calling thread unless TSYNC.
   * Unused: tsbox installs seccomp_export_bpf's program with seccomp(2) itself.
   */
  seccomp_load: { parameters: ["pointer"], result: "i32" },
  /** const struct scmp_version *seccomp_version(void) — {unsigned int major, minor, micro} */
  seccomp_version: { parameters: [], result: "pointer" },
  /** int seccomp_export_bpf(const scmp_filter_ctx ctx, int fd) — the program as struct sock_filter[] */
  seccomp_export_bpf: { parameters: ["pointer", "i32"], result: "i32" },
  /** unsigned int seccomp_api_get(void) */
  seccomp_api_get: { parameters: [], result: "u32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The library's file name (Debian package libseccomp2). */
export const LIBSECCOMP = "libseccomp.so.2";

// Actions (seccomp.h).
/** Kill the whole process. */
export const SCMP_ACT_KILL_PROCESS = 0x80000000;
/** Kill the calling thread (= SCMP_ACT_KILL). */
export const SCMP_ACT_KILL_THREAD = 0x00000000;
/** Send SIGSYS. */
export const SCMP_ACT_TRAP = 0x00030000;
/** Hand the call to a user-space listener (not supported by tsbox). */
export const SCMP_ACT_NOTIFY = 0x7fc00000;
/** Allow, but log. */
export const SCMP_ACT_LOG = 0x7ffc0000;
/** Allow. */
export const SCMP_ACT_ALLOW = 0x7fff0000;

/** SCMP_ACT_ERRNO(x): fail the call with errno `x`. */
export function SCMP_ACT_ERRNO(x: number): number {
  return (0x00050000 | (x & 0xffff)) >>> 0;
}

/** SCMP_ACT_TRACE(x): notify a ptrace tracer with message `x`. */
export function SCMP_ACT_TRACE(x: number): number {
  return (0x7ff00000 | (x & 0xffff)) >>> 0;
}

// enum scmp_compare.
/** arg != a */
export const SCMP_CMP_NE = 1;
/** arg < a */
export const SCMP_CMP_LT = 2;
/** arg <= a */
export const SCMP_CMP_LE = 3;
/** arg == a */
export const SCMP_CMP_EQ = 4;
/** arg >= a */
export const SCMP_CMP_GE = 5;
/** arg > a */
export const SCMP_CMP_GT = 6;
/** (arg & a) == b */
export const SCMP_CMP_MASKED_EQ = 7;

// enum scmp_filter_attr.
/** Set NO_NEW_PRIVS on load (libseccomp's default is 1). */
export const SCMP_FLTATR_CTL_NNP = 3;
/** Synchronise all threads on load (tsbox never sets it). */
export const SCMP_FLTATR_CTL_TSYNC = 4;
/** SECCOMP_FILTER_FLAG_LOG. */
export const SCMP_FLTATR_CTL_LOG = 6;
/** SECCOMP_FILTER_FLAG_SPEC_ALLOW. */
export const SCMP_FLTATR_CTL_SSB = 7;
/** Optimisation level: 1 = priority order, 2 = binary tree. */
export const SCMP_FLTATR_CTL_OPTIMIZE = 8;
/** Return the kernel's errno from seccomp_load instead of -ECANCELED. */
export const SCMP_FLTATR_API_SYSRAWRC = 9;

/** Value of seccomp_syscall_resolve_name* for a name libseccomp does not know. */
export const NR_SCMP_ERROR = -1;

/** Size of `struct scmp_arg_cmp` {unsigned int arg; enum op; u64 datum_a; u64 datum_b}. */
export const SCMP_ARG_CMP_SIZE = 24;

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

/** dev:ino of "/" (null when it cannot be read). */
function rootIdentity(): string | null {
  try {
    const st = Deno.statSync("/");
    return `${st.dev}:${st.ino}`;
  } catch (err) {
    // without read permission the guard below cannot look, and stays off
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      return null;
    }
    throw err;
  }
}

/** The root directory when this module was evaluated (at start-up: the host's root). */
const START_ROOT = rootIdentity();

/**
 * The opened libseccomp (opened lazily, once per process).
 *
 * Refuses to open it once the process's root directory has changed
 * (pivot_root, chroot, setns into a mount namespace): the library would then
 * come from the container's rootfs and run inside the privileged init.
 * Open it (compile the filter) before entering the container.
 * @throws TsboxError when the library is not installed or the root changed.
 */
export function libseccomp(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  if (lib === undefined) {
    if (START_ROOT !== null && rootIdentity() !== START_ROOT) {
      throw new TsboxError(`seccomp: refusing to open ${LIBSECCOMP} after the root changed`, {
        op: "dlopen",
        hint: "compile the filter (compileSeccomp) before pivot_root/chroot/setns",
      });
    }
    try {
      lib = Deno.dlopen(LIBSECCOMP, SYMBOLS);
    } catch (err) {
      // dlopen fails with a plain Error when the file is missing
      throw new TsboxError(`seccomp: cannot open ${LIBSECCOMP}`, {
        op: "dlopen",
        hint: "install libseccomp2 (apt-get install libseccomp2)",
        cause: err,
      });
    }
  }
  return lib.symbols;
}

/** Throw `SyscallError` when a libseccomp call returned -errno; else return `ret`. */
export function checkScmp(call: string, ret: number, what?: string): number {
  if (ret < 0) throw syscallError(call, -ret, what);
  return ret;
}

/** libseccomp's version as "major.minor.micro". */
export function libseccompVersion(): string {
  const p = libseccomp().seccomp_version();
  if (p === null) return "unknown";
  const v = new Deno.UnsafePointerView(p);
  return `${v.getUint32(0)}.${v.getUint32(4)}.${v.getUint32(8)}`;
}
