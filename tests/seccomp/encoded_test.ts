/** The seccomp program's spec encoding: base64 of the sock_filter bytes, as cache.ts writes it. */

import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { decodeSeccomp } from "../../lib/seccomp/encoded.ts";

Deno.test("decodeSeccomp: every byte value back, as btoa of a binary string encodes them", () => {
  const bytes = new Uint8Array(4096).map((_, i) => (i * 131 + 7) & 0xff);
  const bpf = btoa(String.fromCharCode(...bytes));
  const p = decodeSeccomp({ bpf, flags: 3 });
  assertEquals(p.flags, 3);
  assertEquals(p.bpf, bytes);
  assertEquals(decodeSeccomp({ bpf: "", flags: 0 }).bpf, new Uint8Array());
  assertThrows(() => decodeSeccomp({ bpf: "not base64!", flags: 0 }), SyntaxError);
});
