import { assert, assertEquals, assertStringIncludes, assertThrows } from "../helpers/assert.ts";
import { FakeKernel } from "../fake_kernel.ts";
import { finalizeProcess, type TailInput } from "../../lib/init/process_tail.ts";
import { ociCapabilities } from "../../lib/security/capabilities.ts";
import { DEFAULT_CAPABILITIES } from "../../lib/oci/defaults.ts";
import { TsboxError } from "../../lib/errors.ts";

const prog = { bpf: new Uint8Array(8), flags: 0 };

function input(over: Partial<TailInput["security"]> = {}): TailInput {
  return {
    creds: { uid: 1000, gid: 1000, groups: [1000, 27] },
    security: {
      capabilities: ociCapabilities([...DEFAULT_CAPABILITIES]),
      noNewPrivileges: false,
      rlimits: [{ type: "RLIMIT_NOFILE", soft: 512, hard: 1024 }],
      oomScoreAdj: 100,
      ...over,
    },
    seccomp: prog,
    capLastCap: 40,
    parentDeathSignal: 9,
  };
}

Deno.test("finalizeProcess: fds, rlimits, oom, seccomp, bounding, user, caps, pdeathsig in order", () => {
  const k = new FakeKernel();
  finalizeProcess(k, input());
  const order = k.calls.map((c) => c.method).filter((m, i, a) => a.indexOf(m) === i);
  assertEquals(order, [
    "cloexecFrom",
    "setRlimit",
    "writeFile",
    "seccompInstall", // no_new_privs off: loaded while CAP_SYS_ADMIN is still held
    "capBoundingDrop",
    "setKeepCaps",
    "setCredentials",
    "capSet",
    "setParentDeathSignal", // re-armed: the uid change cleared it
  ]);
  assertEquals(k.callsOf("setRlimit"), [[7, 512, 1024]]);
  assertEquals(k.callsOf("writeFile"), [["/proc/self/oom_score_adj", "100"]]);
  // 41 capabilities (0..40), docker keeps 14
  assertEquals(k.callsOf("capBoundingDrop").length, 41 - 14);
  assert(!k.callsOf("capBoundingDrop").some(([c]) => c === 0), "CAP_CHOWN kept");
  assertEquals(k.callsOf("setKeepCaps"), [[true], [false]]);
  assertEquals(k.callsOf("setCredentials"), [[1000, 1000, [1000, 27]]]);
  const [sets] = k.callsOf("capSet")[0] as [{ effective: bigint; inheritable: bigint }];
  assertEquals(sets.effective, 0xa80425fbn);
  assertEquals(sets.inheritable, 0n);
});

Deno.test("finalizeProcess: with no_new_privs the filter is installed last", () => {
  const k = new FakeKernel();
  finalizeProcess(k, input({ noNewPrivileges: true }));
  const tail = k.calls.slice(-2).map((c) => c.method);
  assertEquals(tail, ["setNoNewPrivs", "seccompInstall"]);
});

Deno.test("finalizeProcess: an error names its step", () => {
  const k = new FakeKernel().failOn("setCredentials", "EPERM");
  const err = assertThrows(() => finalizeProcess(k, input()), TsboxError);
  assertStringIncludes(err.message, "set user:");
  assertEquals(k.callsOf("capSet"), [], "nothing after the failed step");
});
