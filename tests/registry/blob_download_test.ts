/**
 * downloadBlob against a scripted HTTP server: Range ignored, too many
 * bytes, transient 5xx, digest mismatch.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { type BlobSink, downloadBlob } from "../../lib/registry/blob_download.ts";
import { RegistryClient } from "../../lib/registry/client.ts";
import { ImageError } from "../../lib/errors.ts";

const FAST = { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 };

/** A sink that stores into a temp dir, like the image store. */
function tempSink(dir: string): BlobSink & { stored: Map<string, Uint8Array> } {
  const stored = new Map<string, Uint8Array>();
  return {
    stored,
    hasBlob: (d) => stored.has(d),
    partialPath: (d) => join(dir, "partial", d.slice(7)),
    adoptBlob: (d, tmp) => {
      stored.set(d, Deno.readFileSync(tmp));
      Deno.removeSync(tmp);
      return Promise.resolve();
    },
  };
}

type Handler = (req: Request, n: number) => Response | Promise<Response>;

async function withServer(
  handler: Handler,
  fn: (client: RegistryClient, dir: string) => Promise<void>,
): Promise<void> {
  let n = 0;
  const ac = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: () => {},
  }, (req) => {
    if (new URL(req.url).pathname === "/v2/") return new Response("{}");
    return handler(req, ++n);
  });
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-dl-" });
  try {
    const host = `127.0.0.1:${server.addr.port}`;
    const client = new RegistryClient(
      { domain: host, base: `http://${host}`, insecure: true },
      "t/x",
      { retry: FAST },
    );
    await fn(client, dir);
  } finally {
    ac.abort();
    await server.finished;
    Deno.removeSync(dir, { recursive: true });
  }
}

const DATA = new TextEncoder().encode("0123456789".repeat(1000));
const DIGEST = `sha256:${createHash("sha256").update(DATA).digest("hex")}`;
const DESC = {
  mediaType: "application/vnd.oci.image.layer.v1.tar",
  digest: DIGEST,
  size: DATA.length,
};

Deno.test("downloadBlob: restarts from 0 when the registry ignores Range", async () => {
  const ranges: (string | null)[] = [];
  await withServer((req) => {
    ranges.push(req.headers.get("range"));
    return new Response(DATA);
  }, async (client, dir) => {
    const sink = tempSink(dir);
    Deno.mkdirSync(join(dir, "partial"));
    Deno.writeFileSync(sink.partialPath(DIGEST), DATA.subarray(0, 100));
    const r = await downloadBlob(client, sink, DESC, { lockDir: dir });
    assert.equal(r.status, "downloaded");
    assert.deepEqual(sink.stored.get(DIGEST), DATA);
    assert.deepEqual(ranges, ["bytes=100-"], "tried to resume, took the full answer");
  });
});

Deno.test("downloadBlob: resumes with 206 and verifies the whole blob", async () => {
  await withServer((req) => {
    const from = Number(/bytes=(\d+)-/.exec(req.headers.get("range") ?? "")?.[1] ?? 0);
    return new Response(DATA.subarray(from), {
      status: from ? 206 : 200,
      headers: from ? { "content-range": `bytes ${from}-${DATA.length - 1}/${DATA.length}` } : {},
    });
  }, async (client, dir) => {
    const sink = tempSink(dir);
    Deno.mkdirSync(join(dir, "partial"));
    Deno.writeFileSync(sink.partialPath(DIGEST), DATA.subarray(0, 4000));
    const r = await downloadBlob(client, sink, DESC, { lockDir: dir });
    assert.deepEqual(r, { status: "downloaded", resumedFrom: 4000 });
    assert.deepEqual(sink.stored.get(DIGEST), DATA);
  });
});

Deno.test("downloadBlob: retries 5xx and 429, then succeeds", async () => {
  await withServer(
    (_req, n) =>
      n <= 2 ? new Response("busy", { status: n === 1 ? 503 : 429 }) : new Response(DATA),
    async (client, dir) => {
      const sink = tempSink(dir);
      const retries: number[] = [];
      await downloadBlob(client, sink, DESC, { lockDir: dir, onRetry: (_e, n) => retries.push(n) });
      assert.deepEqual(retries, [1, 2]);
      assert.ok(sink.stored.has(DIGEST));
    },
  );
});

Deno.test("downloadBlob: wrong content or too many bytes fail naming the digest and keep nothing", async () => {
  for (const body of [DATA.map((b) => b ^ 1), new Uint8Array([...DATA, 1, 2, 3])]) {
    await withServer(() => new Response(body), async (client, dir) => {
      const sink = tempSink(dir);
      await assert.rejects(downloadBlob(client, sink, DESC, { lockDir: dir }), (e: unknown) => {
        assert.ok(e instanceof ImageError);
        assert.ok(e.message.includes(DIGEST), e.message);
        return true;
      });
      assert.equal(sink.stored.size, 0);
      assert.deepEqual([...Deno.readDirSync(join(dir, "partial"))], [], "partial file removed");
    });
  }
});

Deno.test("downloadBlob: gives up after the retries with an error naming the digest", async () => {
  await withServer(() => new Response("down", { status: 502 }), async (client, dir) => {
    await assert.rejects(
      downloadBlob(client, tempSink(dir), DESC, { lockDir: dir }),
      (e: unknown) => {
        assert.ok(e instanceof ImageError);
        assert.match(e.message, new RegExp(`failed to download ${DIGEST}.*502`));
        return true;
      },
    );
  });
});
