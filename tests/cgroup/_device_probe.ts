/**
 * A device-access probe for the real-kernel device cgroup tests: a gated
 * busybox shell, moved into a cgroup, tries to open /dev/kmsg and
 * /dev/null, to mknod a 1:11 (kmsg) node in a temp dir and to open that
 * node. Each attempt prints `<name> ok` or `<name> failed`, preceded by
 * busybox's error line (`… Operation not permitted`).
 * @module
 */

import { join } from "node:path";
import type { ContainerCgroup } from "../../lib/cgroup/mod.ts";
import { gated, killAll } from "./_real.ts";

/** What the probe printed. */
export interface ProbeResult {
  /** The whole output (stderr folded into stdout, in order). */
  out: string;
  /** `name` → true when that step succeeded. */
  ok: Record<"kmsg" | "null" | "mknod" | "node", boolean>;
}

/** Run the probe inside `cg`; kills what is left in the cgroup before returning. */
export async function probeDevices(cg: ContainerCgroup): Promise<ProbeResult> {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-devprobe-" });
  const node = join(dir, "kmsg");
  const step = (name: string, cmd: string) =>
    `if ${cmd} 2>&1; then echo "${name} ok"; else echo "${name} failed"; fi`;
  const g = gated([
    step("kmsg", "( : </dev/kmsg )"),
    step("null", "( : </dev/null )"),
    step("mknod", `/bin/busybox mknod ${node} c 1 11`),
    step("node", `( : <${node} )`),
  ].join("; "));
  try {
    cg.addProcess(g.child.pid);
    await g.release();
    const o = await g.output;
    const out = o.stdout + o.stderr;
    const ok = (name: string) => {
      if (out.includes(`${name} ok`)) return true;
      if (out.includes(`${name} failed`)) return false;
      throw new Error(`probe printed nothing for ${name}: ${out}`);
    };
    return {
      out,
      ok: { kmsg: ok("kmsg"), null: ok("null"), mknod: ok("mknod"), node: ok("node") },
    };
  } finally {
    await g.kill();
    await killAll(cg);
    await g.output;
    Deno.removeSync(dir, { recursive: true });
  }
}
