/**
 * The default profile gives docker's documented decisions
 * (docs.docker.com/engine/security/seccomp: "Significant syscalls blocked
 * by the default profile"), read from the converter's `linux.seccomp` for a
 * container with docker's 14 default capabilities, then with more.
 */
import { assertEquals } from "../helpers/assert.ts";
import {
  checkedDefaultProfile,
  defaultSeccomp,
  defaultSeccompProfile,
} from "../../lib/seccomp/default_profile.ts";
import type { SeccompTarget } from "../../lib/seccomp/convert.ts";
import { CAPABILITIES, DEFAULT_CAPABILITIES } from "../../lib/oci/defaults.ts";
import { decide, effectiveDecision } from "./_decide.ts";

const X86: SeccompTarget = {
  capabilities: DEFAULT_CAPABILITIES,
  arch: "x86_64",
  kernelRelease: "6.18.0",
};

const withCaps = (...caps: string[]): SeccompTarget => ({
  ...X86,
  capabilities: [...DEFAULT_CAPABILITIES, ...caps],
});

// <linux/sched.h>
const CLONE_NEWNS = 0x00020000;
const CLONE_NEWCGROUP = 0x02000000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000;
const CLONE_NEWNET = 0x40000000;
const NAMESPACE_FLAGS = [
  CLONE_NEWNS,
  CLONE_NEWCGROUP,
  CLONE_NEWUTS,
  CLONE_NEWIPC,
  CLONE_NEWUSER,
  CLONE_NEWPID,
  CLONE_NEWNET,
];
const SIGCHLD = 17;
/** glibc's pthread_create flags (CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|…TID). */
const PTHREAD_FLAGS = 0x003d0f00;

/** Refused with EPERM whatever the default capabilities: docker's "significant" list. */
const REFUSED = [
  "mount",
  "umount2",
  "unshare",
  "setns",
  "keyctl",
  "add_key",
  "request_key",
  "bpf",
  "perf_event_open",
  "open_by_handle_at",
  "pivot_root",
  "fsopen",
  "open_tree",
  "move_mount",
  "kexec_load",
  "init_module",
  "reboot",
  "swapon",
  "userfaultfd",
  "syslog",
  "iopl",
];

Deno.test("defaultSeccomp: docker's default refuses the mount family, namespaces, keyring, bpf, perf with EPERM", () => {
  const s = defaultSeccomp(X86);
  assertEquals(s.defaultAction, "SCMP_ACT_ERRNO");
  assertEquals(s.defaultErrnoRet, 1);
  for (const n of REFUSED) assertEquals(decide(s, n), "ERRNO(1)", n);
  for (const n of ["read", "write", "execve", "getpid", "ptrace", "chroot", "mknod", "vmsplice"]) {
    assertEquals(decide(s, n), "ALLOW", n);
  }
});

Deno.test("defaultSeccomp: clone with a namespace flag is EPERM, plain fork and threads pass; clone3 is ENOSYS", () => {
  const s = defaultSeccomp(X86);
  for (const f of NAMESPACE_FLAGS) {
    assertEquals(decide(s, "clone", [f | SIGCHLD]), "ERRNO(1)", `flag 0x${f.toString(16)}`);
  }
  assertEquals(decide(s, "clone", [CLONE_NEWUSER]), "ERRNO(1)");
  assertEquals(decide(s, "clone", [SIGCHLD]), "ALLOW");
  assertEquals(decide(s, "clone", [PTHREAD_FLAGS]), "ALLOW");
  // ENOSYS makes glibc fall back to clone, whose flags the filter can read
  assertEquals(decide(s, "clone3"), "ERRNO(38)");
  assertEquals(decide(s, "clone3", [CLONE_NEWUSER]), "ERRNO(38)");
});

Deno.test("defaultSeccomp: personality only for 0, PER_LINUX32, UNAME26 variants and the 0xffffffff query", () => {
  const s = defaultSeccomp(X86);
  for (const p of [0, 0x8, 0x20000, 0x20008, 0xffffffff]) {
    assertEquals(decide(s, "personality", [p]), "ALLOW", `0x${p.toString(16)}`);
  }
  // PER_BSD, READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, PER_SVR4, 0x100000000
  for (const p of [0x6, 0x0400000, 0x0040000, 0x04100001, 0x100000000]) {
    assertEquals(decide(s, "personality", [p]), "ERRNO(1)", `0x${p.toString(16)}`);
  }
});

Deno.test("defaultSeccomp: socket refuses AF_ALG (38) and AF_VSOCK (40) only", () => {
  const s = defaultSeccomp(X86);
  for (const family of [1, 2, 10, 16, 17, 37, 39, 41, 45]) {
    assertEquals(decide(s, "socket", [family, 1, 0]), "ALLOW", `family ${family}`);
  }
  assertEquals(decide(s, "socket", [38, 5, 0]), "ERRNO(1)");
  assertEquals(decide(s, "socket", [40, 1, 0]), "ERRNO(1)");
});

Deno.test("defaultSeccomp: CAP_SYS_ADMIN allows mount, unshare, setns, namespaced clone, clone3 — never keyctl", () => {
  const s = defaultSeccomp(withCaps("CAP_SYS_ADMIN"));
  for (const n of ["mount", "umount2", "unshare", "setns", "bpf", "perf_event_open", "fsopen"]) {
    assertEquals(decide(s, n), "ALLOW", n);
  }
  assertEquals(decide(s, "clone", [CLONE_NEWUSER | SIGCHLD]), "ALLOW");
  assertEquals(decide(s, "clone3"), "ALLOW");
  assertEquals(decide(s, "personality", [0x6]), "ERRNO(1)");
  for (const n of ["keyctl", "add_key", "request_key", "open_by_handle_at", "reboot"]) {
    assertEquals(decide(s, n), "ERRNO(1)", n);
  }
  // with every capability the keyring calls stay refused (they are on no allow list)
  const all = defaultSeccomp({ ...X86, capabilities: CAPABILITIES });
  for (const n of ["keyctl", "add_key", "request_key"]) assertEquals(decide(all, n), "ERRNO(1)");
  assertEquals(decide(all, "reboot"), "ALLOW");
});

Deno.test("defaultSeccomp: bpf, perf_event_open, open_by_handle_at follow their own capabilities", () => {
  assertEquals(decide(defaultSeccomp(withCaps("CAP_BPF")), "bpf"), "ALLOW");
  assertEquals(decide(defaultSeccomp(withCaps("CAP_BPF")), "perf_event_open"), "ERRNO(1)");
  assertEquals(decide(defaultSeccomp(withCaps("CAP_PERFMON")), "perf_event_open"), "ALLOW");
  assertEquals(
    decide(defaultSeccomp(withCaps("CAP_DAC_READ_SEARCH")), "open_by_handle_at"),
    "ALLOW",
  );
  assertEquals(decide(defaultSeccomp(withCaps("CAP_SYS_PTRACE")), "pidfd_getfd"), "ALLOW");
  assertEquals(decide(defaultSeccomp(withCaps("CAP_SYS_TIME")), "clock_settime"), "ALLOW");
  assertEquals(decide(defaultSeccomp(X86), "clock_settime"), "ERRNO(1)");
});

Deno.test("defaultSeccomp: per-arch rules (arch_prctl on amd64, clone's flags in a1 on s390x)", () => {
  const x86 = defaultSeccomp(X86);
  assertEquals(x86.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
  assertEquals(decide(x86, "arch_prctl"), "ALLOW");
  assertEquals(decide(x86, "modify_ldt"), "ALLOW");
  const arm = defaultSeccomp({ ...X86, arch: "aarch64" });
  assertEquals(arm.architectures, ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
  assertEquals(decide(arm, "arch_prctl"), "ERRNO(1)");
  assertEquals(decide(arm, "breakpoint"), "ALLOW");
  const s390 = defaultSeccomp({ ...X86, arch: "s390x" });
  assertEquals(
    effectiveDecision(s390, "clone"),
    "ALLOW if a1&0x7e020000==0, else ERRNO(1)",
  );
  assertEquals(decide(s390, "clone", [0, CLONE_NEWUSER]), "ERRNO(1)");
  assertEquals(decide(s390, "clone", [CLONE_NEWUSER, 0]), "ALLOW");
  assertEquals(decide(s390, "s390_runtime_instr"), "ALLOW");
});

Deno.test("defaultSeccomp: ptrace and process_vm_* need kernel 4.8 (or CAP_SYS_PTRACE)", () => {
  const old = defaultSeccomp({ ...X86, kernelRelease: "4.4.0" });
  assertEquals(decide(old, "ptrace"), "ERRNO(1)");
  assertEquals(decide(defaultSeccomp({ ...X86, kernelRelease: "4.8" }), "ptrace"), "ALLOW");
  const oldPtrace = defaultSeccomp({ ...withCaps("CAP_SYS_PTRACE"), kernelRelease: "4.4.0" });
  assertEquals(decide(oldPtrace, "process_vm_readv"), "ALLOW");
});

Deno.test("defaultSeccompProfile: is docker's profile shape (archMap, includes/excludes, no flags)", () => {
  const p = defaultSeccompProfile();
  assertEquals(p.architectures, []);
  assertEquals(p.flags, []);
  assertEquals(p.archMap.length, 9);
  assertEquals(p.syscalls.length, 33);
  const clone3 = p.syscalls.find((r) => r.names.length === 1 && r.names[0] === "clone3");
  assertEquals(clone3?.errnoRet, 38);
  assertEquals(clone3?.excludes.caps, ["CAP_SYS_ADMIN"]);
});

Deno.test("defaultSeccompProfile: the unchecked conversion equals the checking parser's, rule by rule", () => {
  const fast = defaultSeccompProfile();
  const checked = checkedDefaultProfile(); // throws if the shipped file does not pass the parser
  assertEquals(fast.syscalls.length, checked.syscalls.length);
  for (const [i, rule] of fast.syscalls.entries()) {
    assertEquals(rule, checked.syscalls[i], `rule ${i}`);
  }
  assertEquals(fast, checked);
  // fresh copies: a caller changing one does not change the next
  fast.syscalls[0].names.push("changed");
  assertEquals(defaultSeccompProfile().syscalls[0].names, checked.syscalls[0].names);
});
