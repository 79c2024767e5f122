/** Detach keys (docker's --detach-keys) and the attach socket's frames (pure). */

import { assertEquals, assertThrows } from "../helpers/assert.ts";
import {
  daemonDetachKeys,
  DetachMatcher,
  parseDetachKeys,
} from "../../lib/container/detach_keys.ts";
import {
  encodeFrame,
  exitFrame,
  FRAME,
  FrameReader,
  parseExit,
  parseResize,
  resizeFrame,
} from "../../lib/container/attach_proto.ts";
import { ContainerError, UsageError } from "../../lib/errors.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

Deno.test("parseDetachKeys: ctrl-X and single characters, docker's codes", () => {
  assertEquals(parseDetachKeys("ctrl-p,ctrl-q"), bytes(16, 17));
  assertEquals(
    parseDetachKeys("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_"),
    bytes(0, 27, 28, 29, 30, 31),
  );
  assertEquals(parseDetachKeys("a,B"), bytes(97, 66));
  assertEquals(parseDetachKeys(""), bytes(16, 17)); // docker: empty is the default
  assertThrows(
    () => parseDetachKeys("ctrl-1"),
    UsageError,
    "Invalid detach keys (ctrl-1) provided",
  );
  assertThrows(() => parseDetachKeys("ab"), UsageError);
  assertEquals(daemonDetachKeys(undefined), bytes(16, 17));
  const e = assertThrows(() => daemonDetachKeys("x,ctrl-", "escape"), ContainerError);
  assertEquals([e.message, e.exitCode], ["Invalid escape keys (x,ctrl-) provided", 1]);
});

Deno.test("DetachMatcher: forwards ordinary input, holds a partial match across chunks", () => {
  const m = new DetachMatcher(bytes(16, 17));
  assertEquals(m.scan(bytes(65, 16)), { forward: bytes(65), detach: false });
  assertEquals(m.scan(bytes(66)), { forward: bytes(16, 66), detach: false }); // not the sequence
  assertEquals(m.scan(bytes(16)), { forward: bytes(), detach: false });
  assertEquals(m.scan(bytes(17, 67)), { forward: bytes(), detach: true });
  const twice = new DetachMatcher(bytes(16, 16));
  assertEquals(twice.scan(bytes(16, 65, 16, 16)), { forward: bytes(16, 65), detach: true });
  assertEquals(new DetachMatcher(bytes()).scan(bytes(16, 17)), {
    forward: bytes(16, 17),
    detach: false,
  });
});

Deno.test("FrameReader: frames split anywhere come out whole", () => {
  const wire = new Uint8Array([
    ...encodeFrame(FRAME.STDOUT, bytes(1, 2, 3)),
    ...resizeFrame(40, 120),
    ...encodeFrame(FRAME.STDIN),
    ...exitFrame(130),
  ]);
  const r = new FrameReader();
  const got = [
    ...r.push(wire.subarray(0, 4)),
    ...r.push(wire.subarray(4, 11)),
    ...r.push(wire.subarray(11)),
  ];
  assertEquals(got.map((f) => f.type), [FRAME.STDOUT, FRAME.RESIZE, FRAME.STDIN, FRAME.EXIT]);
  assertEquals(got[0].payload, bytes(1, 2, 3));
  assertEquals(parseResize(got[1].payload), { rows: 40, cols: 120 });
  assertEquals(got[2].payload.length, 0);
  assertEquals(parseExit(got[3].payload), 130);
});
