/**
 * tsbox's default.json must allow and deny exactly what containers-common's
 * seccomp.json (podman's default, Debian golang-github-containers-common)
 * does. Skipped, with a message, where that file is absent.
 */
import { assertEquals } from "../helpers/assert.ts";
import { parseSeccompProfile, type SeccompProfile } from "../../lib/seccomp/profile.ts";
import { profileToSeccomp, type SeccompTarget } from "../../lib/seccomp/convert.ts";
import { defaultSeccompProfile } from "../../lib/seccomp/default_profile.ts";
import { compileSeccomp } from "../../lib/seccomp/load.ts";
import { CAPABILITIES, DEFAULT_CAPABILITIES } from "../../lib/oci/defaults.ts";
import type { LinuxSeccomp } from "../../lib/oci/spec.ts";

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

const X86_DOCKER: SeccompTarget = {
  capabilities: DEFAULT_CAPABILITIES,
  arch: "x86_64",
  kernelRelease: Deno.osRelease(),
};

/**
 * Per syscall name, the ordered list of (action, errno, args) that apply to
 * it — order matters, since libseccomp keeps the first unconditional action.
 */
function decisions(s: LinuxSeccomp): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of s.syscalls ?? []) {
    const d = JSON.stringify([c.action, c.errnoRet ?? null, c.args ?? []]);
    for (const n of c.names) (out[n] ??= []).push(d);
  }
  return out;
}

function header(s: LinuxSeccomp): unknown {
  return [s.defaultAction, s.defaultErrnoRet, s.architectures, s.flags];
}

Deno.test({
  name:
    "default.json: same (syscall, action, args) as containers-common for x86_64 and docker's caps",
  ignore: system === null,
  fn() {
    const ours = profileToSeccomp(defaultSeccompProfile(), X86_DOCKER);
    const theirs = profileToSeccomp(system!, X86_DOCKER);
    assertEquals(header(ours), header(theirs));
    assertEquals(decisions(ours), decisions(theirs));
    // guard against comparing two empty results
    const names = Object.keys(decisions(ours)).length;
    assertEquals(names > 350, true, `only ${names} syscalls`);
  },
});

Deno.test({
  name: "default.json: same decisions as containers-common for other capability sets and arches",
  ignore: system === null,
  fn() {
    const targets: SeccompTarget[] = [
      { ...X86_DOCKER, capabilities: [] },
      { ...X86_DOCKER, capabilities: CAPABILITIES },
      { ...X86_DOCKER, arch: "aarch64" },
      { ...X86_DOCKER, arch: "s390x", capabilities: ["CAP_SYS_ADMIN"] },
    ];
    for (const t of targets) {
      const ours = profileToSeccomp(defaultSeccompProfile(), t);
      const theirs = profileToSeccomp(system!, t);
      assertEquals(header(ours), header(theirs), JSON.stringify(t));
      assertEquals(decisions(ours), decisions(theirs), JSON.stringify(t));
    }
  },
});

Deno.test({
  name: "default.json: compiles to the same BPF program as containers-common on this host",
  ignore: system === null,
  fn() {
    const ours = compileSeccomp(profileToSeccomp(defaultSeccompProfile(), X86_DOCKER));
    const theirs = compileSeccomp(profileToSeccomp(system!, X86_DOCKER));
    assertEquals(ours.bpf.length > 8 * 100, true, `only ${ours.bpf.length} bytes`);
    assertEquals(ours.flags, theirs.flags);
    assertEquals(ours.bpf, theirs.bpf);
    assertEquals(ours.skipped, theirs.skipped);
  },
});
