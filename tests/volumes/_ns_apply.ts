/**
 * Test entry (run with `deno run -A`, as root): in a throwaway mount
 * namespace, mount an overlay rootfs, call applyMounts exactly as the init
 * will, then probe the result with sync calls and print JSON on stdout.
 * The namespace — and every mount in it — vanishes when this exits.
 * Usage: _ns_apply.ts JOB.json   (see ns_apply_test.ts for the job shape)
 * @module
 */

import { LinuxKernel } from "../../ffi/kernel.ts";
import { CLONE_NEWNS, MS_PRIVATE, MS_REC } from "../../ffi/consts.ts";
import { applyMounts } from "../../volumes/mount.ts";
import type { PreparedMount } from "../../volumes/types.ts";

interface Job {
  rootfs: string;
  lower: string;
  upper: string;
  work: string;
  mounts: PreparedMount[];
  /** Extra mounts applied afterwards; expected to fail part-way. */
  failing: PreparedMount[];
  hostDir: string;
  volumes: string;
}

interface MountInfo {
  target: string;
  options: string;
  fstype: string;
  superOptions: string;
}

function mountinfo(): MountInfo[] {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").filter(Boolean).map((l) => {
    const f = l.split(" ");
    const dash = f.indexOf("-");
    return { target: f[4], options: f[5], fstype: f[dash + 1], superOptions: f[dash + 3] };
  });
}

function errCode(fn: () => void): string {
  try {
    fn();
    return "ok";
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

function listing(dir: string): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(`${dir}${rel}`)) {
      const st = Deno.lstatSync(`${dir}${rel}/${e.name}`);
      out[`${rel}/${e.name}`.slice(1)] = [st.uid ?? -1, st.gid ?? -1, (st.mode ?? 0) & 0o7777];
      if (st.isDirectory) walk(`${rel}/${e.name}`);
    }
  };
  walk("");
  return out;
}

const job = JSON.parse(Deno.readTextFileSync(Deno.args[0])) as Job;
const k = new LinuxKernel();
k.unshare(CLONE_NEWNS);
k.mount(null, "/", null, MS_REC | MS_PRIVATE); // nothing below propagates back to the host
k.mount(
  "overlay",
  job.rootfs,
  "overlay",
  0,
  `lowerdir=${job.lower},upperdir=${job.upper},workdir=${job.work}`,
);

applyMounts(k, job.rootfs, job.mounts);

const r = job.rootfs;
const mi = mountinfo();
const at = (p: string) => mi.filter((m) => m.target === p);
Deno.writeTextFileSync(`${r}/hostbind/from-container.txt`, "hello");

let failing = "";
try {
  applyMounts(k, r, job.failing);
} catch (err) {
  failing = (err as Error).message;
}

console.log(JSON.stringify({
  mountTargets: mi.map((m) => m.target).filter((t) => t.startsWith(r + "/")),
  roBindWrite: errCode(() => Deno.writeTextFileSync(`${r}/robind/x`, "x")),
  roBindOptions: at(`${r}/robind`).map((m) => m.options),
  roFileWrite: errCode(() => Deno.writeTextFileSync(`${r}/etc/app.conf`, "x")),
  fileBindContent: Deno.readTextFileSync(`${r}/etc/app.conf`),
  hostSeesWrite: Deno.readTextFileSync(`${job.hostDir}/from-container.txt`),
  copiedVolume: listing(`${job.volumes}/newvol/_data`),
  imageDir: listing(`${job.lower}/srv/app`),
  existingVolume: [...Deno.readDirSync(`${r}/opt/stuff`)].map((e) => e.name),
  nocopyVolume: [...Deno.readDirSync(`${r}/opt/other`)].map((e) => e.name),
  anonVolume: [...Deno.readDirSync(`${r}/var/lib/imgvol`)].map((e) => e.name).sort(),
  dataLinkMarker: Deno.readTextFileSync(`${r}/etc/marker`),
  tmpfsRun: at(`${r}/run/t`).map((m) => [m.fstype, m.options, m.superOptions]),
  tmpfsRunMode: (Deno.statSync(`${r}/run/t`).mode ?? 0) & 0o7777,
  tmpfsScratch: at(`${r}/scratch`).map((m) => [m.fstype, m.options, m.superOptions]),
  nestedAfterParent: mi.findIndex((m) => m.target === `${r}/scratch/inner`) >
    mi.findIndex((m) => m.target === `${r}/scratch`),
  failing,
  afterFailing: mountinfo().map((m) => m.target).filter((t) => t.startsWith(r + "/undo")),
  undo1Created: (() => {
    try {
      return Deno.statSync(`${r}/undo1`).isDirectory;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  })(),
  copiedRootMode: (Deno.statSync(`${job.volumes}/newvol/_data`).mode ?? 0) & 0o7777,
}));
