/** Block I/O counters: v1 io_service_bytes and v2 io.stat parsing, v1 file order. */

import assert from "node:assert/strict";
import { parseIoStat, parseV1IoServiceBytes, readIoV1 } from "../../lib/cgroup/io_stats.ts";
import type { CgroupFs } from "../../lib/cgroup/fs.ts";

Deno.test("parseV1IoServiceBytes: sums Read/Write over devices; no device line: undefined", () => {
  const text =
    "8:0 Read 4096\n8:0 Write 100\n8:0 Sync 4196\n254:0 Read 1\n254:0 Write 2\nTotal 4199\n";
  assert.deepEqual(parseV1IoServiceBytes(text), { read: 4097, write: 102 });
  assert.equal(parseV1IoServiceBytes("Total 0\n"), undefined);
});

Deno.test("parseIoStat: rbytes/wbytes of every device", () => {
  const text = "254:0 rbytes=1000 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n8:0 rbytes=5 wbytes=6\n";
  assert.deepEqual(parseIoStat(text), { read: 1005, write: 26 });
  assert.deepEqual(parseIoStat(""), { read: 0, write: 0 });
});

Deno.test("readIoV1: the first file with device entries, as runc (bfq, cfq, throttle)", () => {
  const files: Record<string, string> = {
    "/cg/blkio.bfq.io_service_bytes_recursive": "Total 0\n",
    "/cg/blkio.throttle.io_service_bytes_recursive": "8:0 Read 7\n8:0 Write 9\nTotal 16\n",
  };
  const fs = {
    read: (p: string) => {
      if (p in files) return files[p];
      throw new Deno.errors.NotFound(p);
    },
  } as unknown as CgroupFs;
  assert.deepEqual(readIoV1(fs, "/cg"), { read: 7, write: 9 });
  assert.deepEqual(readIoV1(fs, undefined), { read: 0, write: 0 });
});
