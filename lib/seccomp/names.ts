/**
 * The names a seccomp profile or `linux.seccomp` may use — actions,
 * comparison operators, architectures, flags — and how they map to
 * libseccomp's names. Data only; no library is opened here.
 * @module
 */

/** Actions of the OCI runtime spec / docker profiles. */
export const SECCOMP_ACTIONS: readonly string[] = [
  "SCMP_ACT_KILL",
  "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_TRAP",
  "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE",
  "SCMP_ACT_ALLOW",
  "SCMP_ACT_LOG",
  "SCMP_ACT_NOTIFY",
];

/** Actions that carry an errno (`errnoRet` / `defaultErrnoRet`). */
export const ACTIONS_WITH_ERRNO: readonly string[] = ["SCMP_ACT_ERRNO", "SCMP_ACT_TRACE"];

/** Comparison operators of `args[].op`. */
export const SECCOMP_OPS: readonly string[] = [
  "SCMP_CMP_NE",
  "SCMP_CMP_LT",
  "SCMP_CMP_LE",
  "SCMP_CMP_EQ",
  "SCMP_CMP_GE",
  "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ",
];

/** `SCMP_ARCH_*` (spec spelling) → libseccomp's architecture name (`null` = native). */
export const SECCOMP_ARCHES: Readonly<Record<string, string | null>> = {
  SCMP_ARCH_NATIVE: null,
  SCMP_ARCH_X86: "x86",
  SCMP_ARCH_X86_64: "x86_64",
  SCMP_ARCH_X32: "x32",
  SCMP_ARCH_ARM: "arm",
  SCMP_ARCH_AARCH64: "aarch64",
  SCMP_ARCH_LOONGARCH64: "loongarch64",
  SCMP_ARCH_M68K: "m68k",
  SCMP_ARCH_MIPS: "mips",
  SCMP_ARCH_MIPS64: "mips64",
  SCMP_ARCH_MIPS64N32: "mips64n32",
  SCMP_ARCH_MIPSEL: "mipsel",
  SCMP_ARCH_MIPSEL64: "mipsel64",
  SCMP_ARCH_MIPSEL64N32: "mipsel64n32",
  SCMP_ARCH_PPC: "ppc",
  SCMP_ARCH_PPC64: "ppc64",
  SCMP_ARCH_PPC64LE: "ppc64le",
  SCMP_ARCH_S390: "s390",
  SCMP_ARCH_S390X: "s390x",
  SCMP_ARCH_PARISC: "parisc",
  SCMP_ARCH_PARISC64: "parisc64",
  SCMP_ARCH_RISCV64: "riscv64",
  SCMP_ARCH_SHEB: "sheb",
  SCMP_ARCH_SH: "sh",
};

/**
 * Architecture names of `includes.arches` / `excludes.arches` (Go/libseccomp-golang
 * spelling, e.g. "amd64"), as moby and containers/common compare them.
 */
export const PROFILE_ARCH_NAMES: readonly string[] = [
  "x86",
  "amd64",
  "x32",
  "arm",
  "arm64",
  "loong64",
  "m68k",
  "mips",
  "mips64",
  "mips64n32",
  "mips3l64n32",
  "mipsel",
  "mipsle",
  "mipsel64",
  "mipsel64n32",
  "ppc",
  "ppc64",
  "ppc64le",
  "s390",
  "s390x",
  "parisc",
  "parisc64",
  "riscv64",
  "sh",
  "sheb",
];

/** A host architecture as the profile conversion sees it. */
export interface HostSeccompArch {
  /** Name used by `includes.arches` ("amd64"). */
  profileName: string;
  /** `SCMP_ARCH_*` of `archMap[].architecture` ("SCMP_ARCH_X86_64"). */
  scmpArch: string;
}

/** `Deno.build.arch` (or `uname -m`) → the names the profile uses for it. */
export const HOST_ARCHES: Readonly<Record<string, HostSeccompArch>> = {
  x86_64: { profileName: "amd64", scmpArch: "SCMP_ARCH_X86_64" },
  aarch64: { profileName: "arm64", scmpArch: "SCMP_ARCH_AARCH64" },
  riscv64: { profileName: "riscv64", scmpArch: "SCMP_ARCH_RISCV64" },
  s390x: { profileName: "s390x", scmpArch: "SCMP_ARCH_S390X" },
  ppc64le: { profileName: "ppc64le", scmpArch: "SCMP_ARCH_PPC64LE" },
};

/** `flags[]` tsbox applies. */
export const SECCOMP_FLAG_LOG = "SECCOMP_FILTER_FLAG_LOG";
/** Disable the speculative-store-bypass mitigation. */
export const SECCOMP_FLAG_SPEC_ALLOW = "SECCOMP_FILTER_FLAG_SPEC_ALLOW";
/**
 * Accepted and ignored, as runc does: the filter is loaded on the init's
 * thread right before execve, which ends every other thread.
 */
export const SECCOMP_FLAG_TSYNC = "SECCOMP_FILTER_FLAG_TSYNC";
/** Only meaningful with a notify listener, which tsbox does not support. */
export const SECCOMP_FLAG_WAIT_KILLABLE_RECV = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";

/** Every flag name the validator accepts. */
export const SECCOMP_FLAGS: readonly string[] = [
  SECCOMP_FLAG_LOG,
  SECCOMP_FLAG_SPEC_ALLOW,
  SECCOMP_FLAG_TSYNC,
];

/** Highest argument index of a syscall (six arguments). */
export const MAX_ARG_INDEX = 5;

/** Largest errno the kernel passes through SECCOMP_RET_ERRNO (MAX_ERRNO). */
export const MAX_ERRNO = 4095;
