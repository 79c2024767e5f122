import assert from "node:assert/strict";
import { formatBytes, type OutputStream, PullProgress } from "../../lib/registry/progress.ts";

function fake(tty: boolean): OutputStream & { text(): string } {
  const chunks: Uint8Array[] = [];
  return {
    writeSync(p) {
      chunks.push(p.slice());
      return p.length;
    },
    isTerminal: () => tty,
    text: () => chunks.map((c) => new TextDecoder().decode(c)).join(""),
  };
}
const A = `sha256:${"a".repeat(64)}`;

Deno.test("formatBytes: docker's decimal units", () => {
  assert.equal(formatBytes(999), "999B");
  assert.equal(formatBytes(2_310_000), "2.31MB");
  assert.equal(formatBytes(52_400_000), "52.4MB");
});

Deno.test("PullProgress: plain mode prints one line per status change", () => {
  const out = fake(false);
  const p = new PullProgress(out, "plain");
  p.note("v1: Pulling from test/x");
  p.status(A, "Pulling fs layer", 100);
  p.bytes(A, 10);
  p.bytes(A, 50);
  p.status(A, "Pull complete");
  p.summary("Status: Downloaded newer image for x");
  assert.equal(
    out.text(),
    "v1: Pulling from test/x\naaaaaaaaaaaa: Pulling fs layer\naaaaaaaaaaaa: Downloading\naaaaaaaaaaaa: Pull complete\nStatus: Downloaded newer image for x\n",
  );
});

Deno.test("PullProgress: tty mode redraws layer lines and a total with bytes and rate", () => {
  const out = fake(true);
  const p = new PullProgress(out, "tty");
  p.status(A, "Pulling fs layer", 2_000_000);
  p.bytes(A, 1_000_000);
  p.finish();
  const t = out.text();
  const ESC = String.fromCharCode(27);
  assert.ok(t.includes(`${ESC}[2K`), "lines are cleared before redraw");
  assert.match(t.replaceAll(ESC, "ESC"), /ESC\[\d+A/, "cursor moves up to redraw");
  assert.match(t, /aaaaaaaaaaaa: Downloading \[=+> +\] 1.00MB\/2.00MB/);
  assert.match(t, /Total: 1.00MB\/2.00MB +[\d.]+k?M?B\/s/);
  const before = out.text().length;
  p.summary("Digest: sha256:x");
  assert.equal(
    out.text().slice(before),
    "Digest: sha256:x\n",
    "after finish the block is not redrawn",
  );
});

Deno.test("PullProgress: quiet prints nothing, none prints only summaries", () => {
  const q = fake(false);
  const pq = new PullProgress(q, "quiet");
  pq.note("x");
  pq.status(A, "Pull complete");
  pq.summary("Digest: y");
  assert.equal(q.text(), "");
  const n = fake(false);
  const pn = new PullProgress(n, "none");
  pn.note("x");
  pn.status(A, "Pull complete");
  pn.summary("Digest: y");
  assert.equal(n.text(), "Digest: y\n");
});
