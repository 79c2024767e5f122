/**
 * bpf(2) for cgroup v2 device filters: load a BPF_PROG_TYPE_CGROUP_DEVICE
 * program (the verifier's log is read back when it refuses), attach it to
 * a cgroup directory with BPF_F_ALLOW_MULTI, and list what is attached.
 * Requires `--allow-ffi` and root (CAP_SYS_ADMIN, or CAP_BPF + CAP_NET_ADMIN).
 * @module
 */

import type { CgroupBpf } from "../lib/cgroup/types.ts";
import { errno, libc } from "./libc.ts";
import { cstr } from "./cstring.ts";
import { checkBig, syscallError } from "./syscall.ts";
import { closeFd } from "./fds.ts";
import { O_DIRECTORY, openPath } from "./openat.ts";
import { O_RDONLY } from "./consts.ts";
import { SyscallError } from "../lib/errors.ts";
import { errnoName, errnoText } from "./errno.ts";

/** bpf(2) syscall number. */
export const SYS_bpf = Deno.build.arch === "aarch64" ? 280 : 321;

/** enum bpf_cmd. */
export const BPF_PROG_LOAD = 5;
/** enum bpf_cmd. */
export const BPF_PROG_ATTACH = 8;
/** enum bpf_cmd. */
export const BPF_PROG_QUERY = 16;
/** enum bpf_prog_type. */
export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
/** enum bpf_attach_type. */
export const BPF_CGROUP_DEVICE = 6;
/** Attach flag: programs of the cgroup and of its ancestors all run. */
export const BPF_F_ALLOW_MULTI = 2;

/** Bytes of union bpf_attr handed to the kernel (the fields used end before 72; the rest is zero). */
const ATTR_SIZE = 128;
/** Verifier log buffer, used only to explain a refusal. */
const LOG_SIZE = 1 << 16;

/** The address of `buf` as a u64 field value. */
function addr(buf: Uint8Array<ArrayBuffer> | Uint32Array<ArrayBuffer>): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

/** One bpf(2) call; returns its result. */
function bpf(cmd: number, attr: Uint8Array<ArrayBuffer>): bigint | number {
  return libc().syscall_bpf(BigInt(SYS_bpf), BigInt(cmd), attr, BigInt(attr.length));
}

/**
 * bpf(BPF_PROG_LOAD) of a cgroup device program (`insns`: 8 bytes per
 * instruction). Returns the program fd (close it when attached).
 * @throws {SyscallError} refused; the message ends with the verifier's
 *   last log lines when it was the verifier.
 */
export function loadDeviceProgram(insns: Uint8Array): number {
  if (insns.length === 0 || insns.length % 8 !== 0) {
    throw new RangeError(`a BPF program is a multiple of 8 bytes, got ${insns.length}`);
  }
  const code = new Uint8Array(insns);
  const license = cstr("GPL");
  const load = (log: Uint8Array<ArrayBuffer> | null) => {
    // struct { u32 prog_type; u32 insn_cnt; u64 insns; u64 license; u32 log_level;
    //          u32 log_size; u64 log_buf; u32 kern_version; u32 prog_flags; char prog_name[16]; … }
    const attr = new Uint8Array(ATTR_SIZE);
    const v = new DataView(attr.buffer);
    v.setUint32(0, BPF_PROG_TYPE_CGROUP_DEVICE, true);
    v.setUint32(4, code.length / 8, true);
    v.setBigUint64(8, addr(code), true);
    v.setBigUint64(16, addr(license), true);
    if (log) {
      v.setUint32(24, 1, true); // log_level 1: the verifier's reasoning
      v.setUint32(28, log.length, true);
      v.setBigUint64(32, addr(log), true);
    }
    attr.set(new TextEncoder().encode("tsbox_dev"), 48); // prog_name, shown by bpftool
    const ret = Number(bpf(BPF_PROG_LOAD, attr));
    return { ret, err: ret === -1 ? errno() : 0 };
  };
  const first = load(null);
  if (first.ret >= 0) return first.ret;
  // as libbpf does: load again with a log only to explain the refusal
  const log = new Uint8Array(LOG_SIZE);
  const again = load(log);
  if (again.ret >= 0) return again.ret; // a passing fault the first time
  const end = log.indexOf(0);
  const text = new TextDecoder().decode(log.subarray(0, end < 0 ? log.length : end));
  const tail = text.split("\n").map((l) => l.trim()).filter(Boolean).slice(-3).join(" | ");
  if (!tail) throw syscallError("bpf(BPF_PROG_LOAD)", again.err);
  const name = errnoName(again.err);
  throw new SyscallError(
    "bpf(BPF_PROG_LOAD)",
    again.err,
    name,
    `${errnoText(name)}, verifier says "${tail}"`,
  );
}

/**
 * bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI): attach
 * program `progFd` to the cgroup open as `cgroupFd`.
 * @throws {SyscallError} refused (EPERM without privileges, EBADF…).
 */
export function attachDeviceProgram(cgroupFd: number, progFd: number, path?: string): void {
  // struct { u32 target_fd; u32 attach_bpf_fd; u32 attach_type; u32 attach_flags; u32 replace_bpf_fd; }
  const attr = new Uint8Array(ATTR_SIZE);
  const v = new DataView(attr.buffer);
  v.setUint32(0, cgroupFd, true);
  v.setUint32(4, progFd, true);
  v.setUint32(8, BPF_CGROUP_DEVICE, true);
  v.setUint32(12, BPF_F_ALLOW_MULTI, true);
  checkBig("bpf(BPF_PROG_ATTACH)", bpf(BPF_PROG_ATTACH, attr), path);
}

/**
 * Ids of the device programs attached directly to cgroup directory `dir`
 * (bpf(BPF_PROG_QUERY)); for tests and diagnostics.
 * @throws {SyscallError} `dir` cannot be opened or queried.
 */
export function attachedDevicePrograms(dir: string): number[] {
  const fd = openPath(dir, O_RDONLY | O_DIRECTORY);
  try {
    const ids = new Uint32Array(64);
    // struct { u32 target_fd; u32 attach_type; u32 query_flags; u32 attach_flags; u64 prog_ids; u32 prog_cnt; }
    const attr = new Uint8Array(ATTR_SIZE);
    const v = new DataView(attr.buffer);
    v.setUint32(0, fd, true);
    v.setUint32(4, BPF_CGROUP_DEVICE, true);
    v.setBigUint64(16, addr(ids), true);
    v.setUint32(24, ids.length, true);
    checkBig("bpf(BPF_PROG_QUERY)", bpf(BPF_PROG_QUERY, attr), dir);
    return [...ids.subarray(0, v.getUint32(24, true))];
  } finally {
    closeFd(fd);
  }
}

/** The real `CgroupBpf`: load, attach to `dir`, close both fds. */
export const bpfCgroupDevices: CgroupBpf = {
  attachDeviceFilter(dir: string, program: Uint8Array): void {
    const cg = openPath(dir, O_RDONLY | O_DIRECTORY);
    try {
      const prog = loadDeviceProgram(program);
      try {
        attachDeviceProgram(cg, prog, dir);
      } finally {
        closeFd(prog); // the attachment holds the program from now on
      }
    } finally {
      closeFd(cg);
    }
  },
};
