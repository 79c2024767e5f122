/**
 * `tsbox stats` BLOCK I/O through the CLI: a container writes 4 MiB with
 * O_DIRECT (so the write is its own, not the page cache's writeback) and
 * the column shows it. On cgroup v1 this kernel counts blkio bytes only
 * on a device where blk-throttle is active, i.e. that has a throttle rule
 * in some cgroup: the test sets a rule far above any real rate on the
 * disk under the test root, in the container's own cgroup (docker shows
 * 0B there too otherwise). On v2, io.stat counts without it. Needs root.
 */

import { assert, assertEquals } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import { cgroupsOf } from "../helpers/cgroup_leaks.ts";
import { assertNoLeaks, ok, until, withSeededRoot } from "../container/_lifecycle.ts";
import { pathExists } from "../run/_containers.ts";

/** MAJ:MIN of the whole disk holding `path` (a partition's parent). */
function diskOf(path: string): string {
  const dev = Deno.statSync(path).dev;
  const major = Number((BigInt(dev) >> 8n) & 0xfffn) | Number((BigInt(dev) >> 32n) & ~0xfffn);
  const minor = Number(BigInt(dev) & 0xffn) | Number((BigInt(dev) >> 12n) & ~0xffn);
  const sys = `/sys/dev/block/${major}:${minor}`;
  if (!pathExists(`${sys}/partition`)) return `${major}:${minor}`;
  return Deno.readTextFileSync(`${Deno.realPathSync(sys)}/../dev`).trim();
}

/** Bytes of a docker size (`4.19MB`, `0B`, `512kB`). */
function bytesOf(s: string): number {
  const m = /^([\d.]+)([kMGT]?)B$/.exec(s.trim());
  assert(m, `not a size: ${s}`);
  return Number(m[1]) *
    ({ "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 } as Record<string, number>)[m[2]];
}

Deno.test("stats: BLOCK I/O shows the bytes a container wrote with O_DIRECT", async () => {
  await withSeededRoot(async (root) => {
    const script = "while [ ! -e /go ]; do sleep 0.1; done; " +
      "dd if=/dev/zero of=/data.bin bs=1M count=4 oflag=direct && touch /done; sleep 300";
    const id = (await ok(root, [
      "run",
      "-d",
      "--network",
      "none",
      "--name",
      "io1",
      "busybox",
      "sh",
      "-c",
      script,
    ])).stdout.trim();
    const blkio = cgroupsOf(id).find((d) => d.includes("/blkio/"));
    if (blkio) {
      Deno.writeTextFileSync(
        `${blkio}/blkio.throttle.write_bps_device`,
        `${diskOf(root)} 1099511627776`,
      );
    }
    const before = await ok(root, ["stats", "--no-stream", "--format", "{{.BlockIO}}", "io1"]);
    const [, w0] = before.stdout.trim().split(" / ");
    assert(bytesOf(w0) < 4 * 1024 * 1024, `written before the dd: ${before.stdout}`);
    await ok(root, ["exec", "io1", "touch", "/go"]);
    await until(
      "the dd",
      async () => (await tsbox(root, ["exec", "io1", "test", "-e", "/done"])).code === 0,
      30_000,
    );
    const after = await ok(root, [
      "stats",
      "--no-stream",
      "--format",
      "{{.Name}} {{.BlockIO}}",
      "io1",
    ]);
    const [name, io] = after.stdout.trim().split(/ (.*)/);
    assertEquals(name, "io1");
    const [, w] = io.split(" / ");
    assert(bytesOf(w) >= 4e6, `BLOCK I/O ${io}: the 4 MiB write is missing`);
    await ok(root, ["rm", "-f", id]);
    assertNoLeaks(root, [id]);
  });
});
