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
  const exact = finalizeProcess(k, input());
  exact();
  const order = k.calls.map((c) => c.method).filter((m, i, a) => a.indexOf(m) === i);
  assertEquals(order, [
    "cloexecFrom",
    "getRlimit", // only a hard limit above ours is raised here: none
    "writeFile",
    "seccompInstall", // no_new_privs off: loaded while CAP_SYS_ADMIN is still held
    "capBoundingDrop",
    "setKeepCaps",
    "setCredentials",
    "capSet",
    "setParentDeathSignal", // re-armed: the uid change cleared it
    "prepareRlimits",
    "setRlimit", // the exact limits: last, by the returned function
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
  const tail = k.calls.slice(-3).map((c) => c.method);
  assertEquals(tail, ["setNoNewPrivs", "seccompInstall", "prepareRlimits"]);
});

Deno.test("finalizeProcess: a hard limit above ours is raised while privileged; the exact limits only lower, last", () => {
  const k = new FakeKernel();
  k.rlimits.set(7, { soft: 1024, hard: 2048 }); // RLIMIT_NOFILE
  k.rlimits.set(9, { soft: Infinity, hard: Infinity }); // RLIMIT_AS
  const exact = finalizeProcess(
    k,
    input({
      rlimits: [
        { type: "RLIMIT_NOFILE", soft: 3000, hard: 4000 },
        { type: "RLIMIT_AS", soft: 1 << 30, hard: 2 ** 31 },
      ],
    }),
  );
  // raised before the uid change (the soft one kept); RLIMIT_AS not touched: no lowering yet
  assertEquals(k.callsOf("setRlimit"), [[7, 1024, 4000]]);
  const raised = k.calls.findIndex((c) => c.method === "setRlimit");
  assert(raised < k.calls.findIndex((c) => c.method === "setCredentials"));
  exact();
  assertEquals(k.callsOf("setRlimit").slice(1), [[7, 3000, 4000], [9, 1 << 30, 2 ** 31]]);
});

Deno.test("finalizeProcess: soft above hard, or an unknown type, fails at the rlimits step", () => {
  for (
    const r of [{ type: "RLIMIT_NOFILE", soft: 10, hard: 5 }, {
      type: "RLIMIT_X",
      soft: 1,
      hard: 1,
    }]
  ) {
    const k = new FakeKernel();
    const err = assertThrows(() => finalizeProcess(k, input({ rlimits: [r] })), TsboxError);
    assertStringIncludes(err.message, "rlimits:");
    assertEquals(k.callsOf("setCredentials"), [], "nothing after the failed step");
  }
});

Deno.test("finalizeProcess: an error names its step", () => {
  const k = new FakeKernel().failOn("setCredentials", "EPERM");
  const err = assertThrows(() => finalizeProcess(k, input()), TsboxError);
  assertStringIncludes(err.message, "set user:");
  assertEquals(k.callsOf("capSet"), [], "nothing after the failed step");
});
