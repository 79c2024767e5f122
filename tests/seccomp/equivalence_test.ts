/**
 * tsbox's default.json is docker's default profile (moby/profiles
 * `seccomp/default.json` at tag seccomp/v0.2.3, commit 836ae4d37ef2, the
 * version moby master b985e2313a8 vendors; moby/moby's own
 * `profiles/seccomp/default.json` moved there in July 2025). Against
 * containers-common's seccomp.json (podman's default, Debian
 * golang-github-containers-common), converted for x86_64 with docker's 14
 * default capabilities, the decisions differ exactly as listed below; a
 * change to either file fails this test. Skipped, with a message, where the
 * system file is absent.
 */
import { assertEquals } from "../helpers/assert.ts";
import { parseSeccompProfile, type SeccompProfile } from "../../lib/seccomp/profile.ts";
import { profileToSeccomp, type SeccompTarget } from "../../lib/seccomp/convert.ts";
import { defaultSeccompProfile } from "../../lib/seccomp/default_profile.ts";
import { DEFAULT_CAPABILITIES } from "../../lib/oci/defaults.ts";
import type { LinuxSeccomp } from "../../lib/oci/spec.ts";
import { effectiveDecision, ruledNames } from "./_decide.ts";

const SYSTEM_PROFILE = "/usr/share/containers/seccomp.json";

function readSystemProfile(): SeccompProfile | null {
  try {
    return parseSeccompProfile(Deno.readTextFileSync(SYSTEM_PROFILE), SYSTEM_PROFILE);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    return null;
  }
}

const system = readSystemProfile();
if (system === null) {
  console.log(
    `equivalence_test: skipped: ${SYSTEM_PROFILE} is absent (install golang-github-containers-common)`,
  );
}

/** Fixed kernel release, so the table does not follow the host (minKernel gates). */
const X86_DOCKER: SeccompTarget = {
  capabilities: DEFAULT_CAPABILITIES,
  arch: "x86_64",
  kernelRelease: "6.18.0",
};

/** [syscall, tsbox (docker) decision, containers-common decision]. */
type Difference = [string, string, string];

/** docker refuses (mount family, namespaces, keyring, NUMA, 32-bit x86 legacy calls …). */
const DOCKER_STRICTER: Difference[] = [
  ["clone3", "ERRNO(38)", "ALLOW"],
  ["fsconfig", "ERRNO(1)", "ALLOW"],
  ["fsmount", "ERRNO(1)", "ALLOW"],
  ["fsopen", "ERRNO(1)", "ALLOW"],
  ["fspick", "ERRNO(1)", "ALLOW"],
  ["get_mempolicy", "ERRNO(1)", "ALLOW"],
  ["keyctl", "ERRNO(1)", "ALLOW"],
  ["mbind", "ERRNO(1)", "ALLOW"],
  ["mount", "ERRNO(1)", "ALLOW"],
  ["mount_setattr", "ERRNO(1)", "ALLOW"],
  ["move_mount", "ERRNO(1)", "ALLOW"],
  ["open_tree", "ERRNO(1)", "ALLOW"],
  ["pidfd_getfd", "ERRNO(1)", "ALLOW"],
  ["pivot_root", "ERRNO(1)", "ALLOW"],
  ["readdir", "ERRNO(1)", "ALLOW"],
  ["reboot", "ERRNO(1)", "ALLOW"],
  ["set_mempolicy", "ERRNO(1)", "ALLOW"],
  ["setns", "ERRNO(1)", "ALLOW"],
  ["sigaction", "ERRNO(1)", "ALLOW"],
  ["signal", "ERRNO(1)", "ALLOW"],
  ["sigpending", "ERRNO(1)", "ALLOW"],
  ["sigsuspend", "ERRNO(1)", "ALLOW"],
  ["syscall", "ERRNO(1)", "ALLOW"],
  ["syslog", "ERRNO(1)", "ALLOW"],
  ["timerfd", "ERRNO(1)", "ALLOW"],
  ["umount", "ERRNO(1)", "ALLOW"],
  ["umount2", "ERRNO(1)", "ALLOW"],
  ["unshare", "ERRNO(1)", "ALLOW"],
];

/** docker allows calls newer than containers-common's list, and io_pgetevents, vmsplice. */
const DOCKER_LOOSER: Difference[] = [
  ["cachestat", "ALLOW", "ERRNO(38)"],
  ["fchmodat2", "ALLOW", "ERRNO(38)"],
  ["futex_requeue", "ALLOW", "ERRNO(38)"],
  ["futex_wait", "ALLOW", "ERRNO(38)"],
  ["futex_waitv", "ALLOW", "ERRNO(38)"],
  ["futex_wake", "ALLOW", "ERRNO(38)"],
  ["getxattrat", "ALLOW", "ERRNO(38)"],
  ["io_pgetevents", "ALLOW", "ERRNO(1)"],
  ["io_pgetevents_time64", "ALLOW", "ERRNO(38)"],
  ["listmount", "ALLOW", "ERRNO(38)"],
  ["listxattrat", "ALLOW", "ERRNO(38)"],
  ["map_shadow_stack", "ALLOW", "ERRNO(38)"],
  ["mseal", "ALLOW", "ERRNO(38)"],
  ["removexattrat", "ALLOW", "ERRNO(38)"],
  ["riscv_hwprobe", "ALLOW", "ERRNO(38)"],
  ["setxattrat", "ALLOW", "ERRNO(38)"],
  ["statmount", "ALLOW", "ERRNO(38)"],
  ["uretprobe", "ALLOW", "ERRNO(38)"],
  ["vmsplice", "ALLOW", "ERRNO(1)"],
];

/** Argument filters: clone without namespace flags, socket without AF_ALG/AF_VSOCK. */
const ARGUMENT_RULES: Difference[] = [
  ["clone", "ALLOW if a0&0x7e020000==0, else ERRNO(1)", "ALLOW"],
  [
    "personality",
    "ALLOW if a0==0 | ALLOW if a0==8 | ALLOW if a0==131072 | ALLOW if a0==131080 | ALLOW if a0==4294967295, else ERRNO(1)",
    "ALLOW if a0==0 | ALLOW if a0==8 | ALLOW if a0==131072 | ALLOW if a0==131080 | ALLOW if a0==4294967295, else ERRNO(38)",
  ],
  ["socket", "ALLOW if a0<38 | ALLOW if a0==39 | ALLOW if a0>40, else ERRNO(1)", "ALLOW"],
];

function header(s: LinuxSeccomp): unknown {
  return {
    defaultAction: s.defaultAction,
    defaultErrnoRet: s.defaultErrnoRet,
    architectures: s.architectures,
    flags: s.flags,
  };
}

Deno.test({
  name: "default.json: differs from containers-common exactly by the listed decisions (x86_64)",
  ignore: system === null,
  fn() {
    const ours = profileToSeccomp(defaultSeccompProfile(), X86_DOCKER);
    const theirs = profileToSeccomp(system!, X86_DOCKER);
    const names = [...new Set([...ruledNames(ours), ...ruledNames(theirs)])].sort();
    const differences = names
      .map((n): Difference => [n, effectiveDecision(ours, n), effectiveDecision(theirs, n)])
      .filter(([, a, b]) => a !== b);
    const expected = [...DOCKER_STRICTER, ...DOCKER_LOOSER, ...ARGUMENT_RULES]
      .sort((a, b) => a[0] < b[0] ? -1 : 1);
    assertEquals(differences, expected);
    // guard against comparing two near-empty results
    assertEquals(names.length > 400, true, `only ${names.length} syscalls`);
  },
});

Deno.test({
  name: "default.json: unlisted calls get EPERM (docker), not ENOSYS (containers-common)",
  ignore: system === null,
  fn() {
    const ours = profileToSeccomp(defaultSeccompProfile(), X86_DOCKER);
    const theirs = profileToSeccomp(system!, X86_DOCKER);
    const arches = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"];
    assertEquals(header(ours), {
      defaultAction: "SCMP_ACT_ERRNO",
      defaultErrnoRet: 1,
      architectures: arches,
      flags: undefined,
    });
    assertEquals(header(theirs), {
      defaultAction: "SCMP_ACT_ERRNO",
      defaultErrnoRet: 38,
      architectures: arches,
      flags: undefined,
    });
    // neither file lists these: only the default tells them apart
    for (const n of ["add_key", "request_key"]) {
      assertEquals([effectiveDecision(ours, n), effectiveDecision(theirs, n)], [
        "ERRNO(1)",
        "ERRNO(38)",
      ]);
    }
  },
});
