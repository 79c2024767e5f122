/**
 * `volume rm` SIGKILLed before each of its renames and rmdirs: the volume
 * is either still whole (its data unchanged) or gone from `volume ls`, and
 * one `system prune -f` leaves no half-deleted directory; another volume's
 * data is never touched. Requires root and strace.
 */

import { createHash } from "node:crypto";
import { assert, assertEquals } from "../helpers/assert.ts";
import { hasCommand, tsbox, withRoot } from "../helpers/tsbox.ts";
import { killAt, names } from "../container/_fault.ts";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function ok(root: string, args: string[]) {
  const r = await tsbox(root, args);
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r;
}

/** Fill volume `name` with a few dirs and files; returns their checksum. */
function fill(root: string, name: string): string {
  const d = `${root}/volumes/${name}/_data`;
  for (let i = 0; i < 4; i++) {
    Deno.mkdirSync(`${d}/dir${i}/sub`, { recursive: true });
    Deno.writeTextFileSync(`${d}/dir${i}/sub/f`, `${name} ${i}\n`.repeat(100));
  }
  return checksum(root, name);
}

function checksum(root: string, name: string): string {
  const d = `${root}/volumes/${name}/_data`;
  return sha(new TextEncoder().encode(
    [0, 1, 2, 3].map((i) => Deno.readTextFileSync(`${d}/dir${i}/sub/f`)).join(""),
  ));
}

Deno.test({
  name:
    "volume rm: killed before each rename and rmdir, the volume is whole or gone; prune finishes",
  ignore: !hasCommand("strace"),
  fn: async () => {
    await withRoot(async (root) => {
      await ok(root, ["volume", "create", "keep"]);
      const kept = fill(root, "keep");
      let trials = 0;
      for (const syscall of ["rename", "rmdir"]) {
        for (let n = 1;; n++) {
          await ok(root, ["volume", "create", "victim"]);
          const sum = fill(root, "victim");
          const r = await killAt(root, ["volume", "rm", "victim"], { syscall, n, follow: false });
          const ls = (await ok(root, ["volume", "ls", "-q"])).stdout;
          if (ls.includes("victim")) {
            assertEquals(
              checksum(root, "victim"),
              sum,
              `${syscall} #${n}: a listed volume is whole`,
            );
          }
          await ok(root, ["system", "prune", "-f"]);
          const left = names(`${root}/volumes`).filter((v) => v.startsWith("."));
          assertEquals(left, [], `${syscall} #${n}: half-deleted dirs left`);
          assertEquals(checksum(root, "keep"), kept);
          if (ls.includes("victim")) await ok(root, ["volume", "rm", "victim"]);
          if (!r.killed) break;
          trials++;
          assert(n < 40, "no end to its calls");
        }
      }
      assert(trials >= 3, `only ${trials} phases hit`);
      console.log("volume rm: killed at", trials, "phases");
    });
  },
});
