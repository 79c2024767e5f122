/**
 * The monitor's attach socket with the client a starting CLI listens for
 * (`connectTo`): output frames in order, input and window size kept until
 * the container's stdin exists, the exit code before the close, and output
 * that waits for that client instead of dropping it. Needs no root.
 */

import { assert, assertEquals } from "../helpers/assert.ts";
import { AttachHub } from "../../lib/container/attach_hub.ts";
import {
  encodeFrame,
  FRAME,
  type Frame,
  FrameReader,
  parseExit,
  resizeFrame,
} from "../../lib/container/attach_proto.ts";
import { pathsFor } from "../../lib/paths.ts";
import { SyscallError } from "../../lib/errors.ts";

const enc = new TextEncoder();

/** Read frames from `conn` until it closes. */
async function readAll(conn: Deno.UnixConn): Promise<Frame[]> {
  const reader = new FrameReader();
  const out: Frame[] = [];
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) return out;
    out.push(...reader.push(buf.subarray(0, n)));
  }
}

async function write(conn: Deno.UnixConn, b: Uint8Array): Promise<void> {
  let off = 0;
  while (off < b.length) off += await conn.write(b.subarray(off));
}

/**
 * A hub for container `id` in a fresh root, connected (`connectTo`) to a
 * listening client; `fn` gets the hub and the client's end. Both are
 * closed and the root removed afterwards, whatever `fn` did.
 */
async function withConnectedHub(
  id: string,
  fn: (hub: AttachHub, conn: Deno.UnixConn) => Promise<void>,
): Promise<void> {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-hub-" });
  const listener = Deno.listen({ transport: "unix", path: `${root}/cli.sock` });
  let hub: AttachHub | undefined;
  try {
    hub = AttachHub.open(pathsFor(root), id);
    const accepted = listener.accept();
    await hub.connectTo(`${root}/cli.sock`);
    const conn = await accepted;
    try {
      await fn(hub, conn);
    } finally {
      conn.close();
    }
  } finally {
    await hub?.close();
    listener.close();
    Deno.removeSync(root, { recursive: true });
  }
}

Deno.test("AttachHub.connectTo: early input and size wait for the stdin; output, then EXIT", () =>
  withConnectedHub("f".repeat(64), async (hub, conn) => {
    const frames = readAll(conn);
    await write(conn, resizeFrame(40, 100));
    await write(conn, encodeFrame(FRAME.STDIN, enc.encode("typed early\n")));
    // the hub reads them before any input exists: they are kept, not dropped
    const end = Date.now() + 10_000;
    while (hub.keptInput < 12 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assertEquals(hub.keptInput, 12);
    const got: string[] = [];
    const sizes: string[] = [];
    hub.setInput({
      write: (b) => got.push(new TextDecoder().decode(b)),
      resize: (rows, cols) => sizes.push(`${rows}x${cols}`),
    });
    assertEquals([got, sizes], [["typed early\n"], ["40x100"]]);
    hub.output("stdout", enc.encode("out\n"));
    hub.output("stderr", enc.encode("err\n"));
    await hub.close(7);
    const f = await frames;
    assertEquals(f.map((x) => x.type), [FRAME.STDOUT, FRAME.STDERR, FRAME.EXIT]);
    assertEquals(parseExit(f[2].payload), 7);
  }));

Deno.test("AttachHub.connectTo: a slow starting CLI holds the output back and is not dropped", () =>
  withConnectedHub("e".repeat(64), async (hub, conn) => {
    // 4 MiB while the client reads nothing: more than any ordinary client may queue
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    let held = 0;
    const writing = (async () => {
      for (let i = 0; i < 64; i++) {
        const p = hub.output("stdout", chunk);
        if (p) {
          held++;
          await p;
        }
      }
    })();
    const frames = readAll(conn); // started after the first writes were held back
    await writing;
    assert(held > 0, "the output never waited for the client");
    await hub.close(0);
    const f = await frames;
    const bytes = f.filter((x) => x.type === FRAME.STDOUT).reduce(
      (n, x) => n + x.payload.length,
      0,
    );
    assertEquals(bytes, 64 * chunk.length);
    assertEquals(f[f.length - 1].type, FRAME.EXIT);
  }));

Deno.test("AttachHub: input failing (the pty closed) ends the input, not the client: EXIT still comes", () =>
  withConnectedHub("d".repeat(64), async (hub, conn) => {
    const frames = readAll(conn);
    let resizes = 0;
    hub.setInput({
      write: () => {},
      resize: () => {
        resizes++;
        throw new SyscallError("ioctl(TIOCSWINSZ)", 9, "EBADF", "bad file descriptor");
      },
    });
    await write(conn, resizeFrame(30, 90));
    await write(conn, resizeFrame(31, 91));
    const end = Date.now() + 10_000;
    while (resizes === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assertEquals(resizes, 1);
    hub.output("stdout", enc.encode("still here\n"));
    await hub.close(3);
    const f = await frames;
    assertEquals(f.map((x) => x.type), [FRAME.STDOUT, FRAME.EXIT]);
    assertEquals(parseExit(f[1].payload), 3);
    assert(resizes <= 1, "the failed input was used again");
  }));
