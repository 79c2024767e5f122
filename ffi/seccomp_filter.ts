/**
 * A libseccomp filter context behind a small class, so that no pointer
 * leaves `ffi/`: create, add architectures / attributes / rules, export the
 * BPF program, release. tsbox does not call seccomp_load: it installs the
 * exported program itself (ffi/seccomp_program.ts), so libseccomp's
 * SCMP_FLTATR_CTL_NNP (which would set no_new_privs behind tsbox's back)
 * never applies.
 * @module
 */

import { cstr } from "./cstring.ts";
import { libc } from "./libc.ts";
import { check } from "./syscall.ts";
import { MFD_CLOEXEC } from "./consts.ts";
import { TsboxError } from "../lib/errors.ts";
import { checkScmp, libseccomp, NR_SCMP_ERROR, SCMP_ARG_CMP_SIZE } from "./seccomp.ts";

/** One `struct scmp_arg_cmp`: compare syscall argument `arg` with `op`. */
export interface ScmpArgCmp {
  /** Argument index 0..5. */
  arg: number;
  /** SCMP_CMP_* value. */
  op: number;
  /** datum_a. */
  a: bigint;
  /** datum_b (the value compared after masking, for SCMP_CMP_MASKED_EQ). */
  b: bigint;
}

/** libseccomp's token for an architecture name such as "x86_64"; 0 when unknown. */
export function resolveArch(name: string): number {
  return libseccomp().seccomp_arch_resolve_name(cstr(name));
}

/** libseccomp's token of the native architecture. */
export function nativeArch(): number {
  return libseccomp().seccomp_arch_native();
}

/**
 * The native syscall number of `name` (negative pseudo-numbers for calls
 * that only exist on other architectures, which libseccomp translates per
 * arch); `null` when libseccomp does not know the name at all.
 */
export function resolveSyscall(name: string): number | null {
  const nr = libseccomp().seccomp_syscall_resolve_name(cstr(name));
  return nr === NR_SCMP_ERROR ? null : nr;
}

/** The number of `name` on the architecture `arch` (a token); `null` when it has none. */
export function resolveSyscallArch(arch: number, name: string): number | null {
  const nr = libseccomp().seccomp_syscall_resolve_name_arch(arch, cstr(name));
  return nr === NR_SCMP_ERROR ? null : nr;
}

/** Encode `args` as a C array of `struct scmp_arg_cmp` (native byte order). */
export function encodeArgCmps(args: readonly ScmpArgCmp[]): Uint8Array<ArrayBuffer> {
  const buf = new Uint8Array(Math.max(1, args.length) * SCMP_ARG_CMP_SIZE);
  const v = new DataView(buf.buffer);
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  args.forEach((c, i) => {
    const o = i * SCMP_ARG_CMP_SIZE;
    v.setUint32(o, c.arg, le);
    v.setUint32(o + 4, c.op, le);
    v.setBigUint64(o + 8, c.a, le);
    v.setBigUint64(o + 16, c.b, le);
  });
  return buf;
}

/**
 * A seccomp filter being built. Always `release()` it (in `finally`).
 * Every method throws `SyscallError` with libseccomp's errno on failure.
 */
export class SeccompFilter {
  #ctx: Deno.PointerValue;

  private constructor(ctx: Deno.PointerObject) {
    this.#ctx = ctx;
  }

  /** seccomp_init(defaultAction). Throws `TsboxError` when libseccomp refuses the action. */
  static create(defaultAction: number): SeccompFilter {
    const ctx = libseccomp().seccomp_init(defaultAction >>> 0);
    if (ctx === null) {
      throw new TsboxError(
        `seccomp_init: libseccomp refused default action 0x${defaultAction.toString(16)}`,
        { op: "seccomp_init" },
      );
    }
    return new SeccompFilter(ctx);
  }

  #live(): Deno.PointerValue {
    if (this.#ctx === null) throw new TsboxError("seccomp: filter used after release");
    return this.#ctx;
  }

  /** Whether the filter already covers architecture `token`. */
  hasArch(token: number): boolean {
    return libseccomp().seccomp_arch_exist(this.#live(), token >>> 0) === 0;
  }

  /** seccomp_arch_add; a no-op for an architecture already present (the native one). */
  addArch(token: number, name: string): void {
    if (this.hasArch(token)) return;
    checkScmp("seccomp_arch_add", libseccomp().seccomp_arch_add(this.#live(), token >>> 0), name);
  }

  /** seccomp_attr_set(attr, value). */
  setAttr(attr: number, value: number, name: string): void {
    checkScmp("seccomp_attr_set", libseccomp().seccomp_attr_set(this.#live(), attr, value), name);
  }

  /** seccomp_rule_add_array(action, nr, args); `name` names the syscall in errors. */
  addRule(action: number, nr: number, args: readonly ScmpArgCmp[], name: string): void {
    const buf = encodeArgCmps(args);
    const ret = libseccomp().seccomp_rule_add_array(
      this.#live(),
      action >>> 0,
      nr,
      args.length,
      buf,
    );
    checkScmp("seccomp_rule_add", ret, name);
  }

  /**
   * seccomp_export_bpf: generate the classic-BPF program (`struct sock_filter[]`,
   * 8 bytes an instruction) without loading it; read back through a memfd.
   */
  exportBpf(): Uint8Array<ArrayBuffer> {
    const fd = check("memfd_create", libc().memfd_create(cstr("tsbox-seccomp"), MFD_CLOEXEC));
    try {
      checkScmp("seccomp_export_bpf", libseccomp().seccomp_export_bpf(this.#live(), fd));
      return Deno.readFileSync(`/proc/self/fd/${fd}`);
    } finally {
      libc().close(fd);
    }
  }

  /** seccomp_release; safe to call twice. */
  release(): void {
    if (this.#ctx === null) return;
    libseccomp().seccomp_release(this.#ctx);
    this.#ctx = null;
  }
}
