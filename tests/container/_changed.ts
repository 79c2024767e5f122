/**
 * Fixture for commit/diff/export tests: a busybox image with /etc/group and
 * /opq/{old1,old2}, and a stopped container `c1` that added, deleted,
 * replaced a directory (opaque), made a device node, a hard link, an owner
 * change and (from outside) an xattr.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type RunResult, tsbox } from "../helpers/tsbox.ts";
import { seedImage } from "../run/_image.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";

/** Assert exit 0 (with the output in the message). */
export function mustPass(r: RunResult, what = ""): RunResult {
  assert.equal(r.code, 0, `${what} exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** A base image with /etc/group and /opq/{old1,old2}; a stopped container `c1` that changed it. */
export async function changedContainer(root: string): Promise<string> {
  await seedImage(root, "busybox", {}, (d) => {
    Deno.mkdirSync(join(d, "opq"));
    Deno.writeTextFileSync(join(d, "opq/old1"), "1");
    Deno.writeTextFileSync(join(d, "opq/old2"), "2");
  });
  mustPass(
    await tsbox(root, [
      "run",
      "--name",
      "c1",
      "--network",
      "none",
      "busybox",
      "sh",
      "-c",
      "echo hi > /new && rm /etc/group && rm -rf /opq && mkdir /opq && echo n > /opq/fresh && " +
      "mknod /cdev c 1 3 && ln /new /newlink && chown 1000:50 /new",
    ]),
    "run",
  );
  const id = [...Deno.readDirSync(join(root, "containers"))][0].name;
  // an xattr set from outside (busybox has no setfattr)
  new LinuxKernel().lsetxattr(
    join(root, "containers", id, "upper/new"),
    "user.tsbox",
    new TextEncoder().encode("v1"),
  );
  return id;
}
