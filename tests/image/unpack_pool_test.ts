/**
 * The unpack pool: layer blobs streamed to worker threads extract into their
 * dirs with the right diff ids, several at once; a failing stream rejects
 * and lets go of its dir; a closed pool refuses more bytes. Root only (the
 * workers use the real kernel: owners, device nodes).
 */

import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { join } from "node:path";
import { UnpackPool } from "../../lib/image/unpack_pool.ts";
import { ImageError } from "../../lib/errors.ts";
import { buildTar, gzip, sha256 } from "./_tar_builder.ts";
import type { LayerBytes } from "../../lib/image/unpack.ts";

async function feed(s: LayerBytes, blob: Uint8Array, step: number): Promise<void> {
  for (let i = 0; i < blob.length; i += step) {
    const more = s.write(blob.slice(i, i + step));
    if (more) await more;
  }
}

Deno.test({
  name: "UnpackPool: three layers at once on two workers, each with its diff id and tree",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "tsbox-pool-" });
    const pool = new UnpackPool(2);
    try {
      const tars = await Promise.all([0, 1, 2].map((n) =>
        buildTar([
          { name: `l${n}/`, type: "directory", mode: 0o711 },
          ...Array.from({ length: 50 }, (_, i) => ({ name: `l${n}/f${i}`, data: `${n}:${i}` })),
          { name: `l${n}/big`, data: new Uint8Array(3 << 20).fill(n + 1) },
          { name: `l${n}/null`, type: "character-device" as const, devmajor: 1, devminor: 3 },
        ])
      ));
      const got = await Promise.all(tars.map(async (tar, n) => {
        const d = join(dir, `layer${n}`);
        Deno.mkdirSync(d);
        const s = pool.open(d, `layer ${n}`);
        try {
          await feed(s, gzip(tar), 65536);
          return await s.end();
        } finally {
          await s.close();
        }
      }));
      assertEquals(got, tars.map((t) => ({ diffId: sha256(t), tarSize: t.length })));
      for (const n of [0, 1, 2]) {
        const d = join(dir, `layer${n}`, `l${n}`);
        assertEquals(Deno.readTextFileSync(join(d, "f49")), `${n}:49`);
        assertEquals(Deno.statSync(join(d, "big")).size, 3 << 20);
        assertEquals(Deno.statSync(d).mode! & 0o777, 0o711);
        assert(Deno.lstatSync(join(d, "null")).isCharDevice);
      }
    } finally {
      pool.close();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "UnpackPool: a corrupt or unsafe stream rejects and releases its dir; a closed pool refuses bytes",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "tsbox-pool-" });
    const pool = new UnpackPool(1);
    try {
      const corrupt = gzip(await buildTar([{ name: "f", data: "x".repeat(100_000) }]));
      corrupt.fill(0x41, 30, 600);
      const unsafe = gzip(await buildTar([{ name: "../escape", data: "evil" }]));
      for (const [label, blob] of [["corrupt", corrupt], ["unsafe", unsafe]] as const) {
        const d = join(dir, label);
        Deno.mkdirSync(d);
        const s = pool.open(d, `layer ${label}`);
        await assertRejects(
          async () => {
            await feed(s, blob, 1000);
            await s.end();
          },
          ImageError,
          `layer ${label}: streaming unpack failed`,
        );
        await s.close();
        Deno.removeSync(d, { recursive: true });
      }
      assertEquals([...Deno.readDirSync(dir)], []);
      const d = join(dir, "late");
      Deno.mkdirSync(d);
      const s = pool.open(d, "layer late");
      pool.close();
      await assertRejects(() => feed(s, new Uint8Array(1 << 20), 1 << 20), ImageError);
      await s.close();
    } finally {
      pool.close();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
