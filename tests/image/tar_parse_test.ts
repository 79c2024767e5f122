/**
 * The push tar parser against archives written by GNU tar (gnu, pax and
 * ustar formats: long names, long link targets, big uids in base-256 and
 * PAX records) and hand-made headers (PAX global records, header-only types
 * with a size, truncation, checksums), pushed in every chunking.
 */

import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { TarFormatError, TarParser } from "../../lib/image/tar_parse.ts";
import type { TarHeader } from "../../lib/image/tar_read.ts";

interface Seen {
  name: string;
  type: string;
  size: number;
  uid: number;
  gid: number;
  linkname: string | null | undefined;
  data: string;
}

/** Parse `bytes` pushed in `step`-byte chunks; the entries with their data. */
function parse(bytes: Uint8Array, step = bytes.length): Seen[] {
  const out: Seen[] = [];
  let cur: Seen | undefined;
  const dec = new TextDecoder();
  const p = new TarParser({
    entry(h: TarHeader) {
      cur = {
        name: h.name,
        type: h.type,
        size: h.size,
        uid: h.uid,
        gid: h.gid,
        linkname: h.linkname,
        data: "",
      };
    },
    data(chunk) {
      cur!.data += dec.decode(chunk, { stream: true });
    },
    end() {
      out.push(cur!);
      cur = undefined;
    },
  }, "test");
  for (let i = 0; i < bytes.length; i += step) p.push(bytes.subarray(i, i + step));
  p.finish();
  return out;
}

/** `tar ARGS -cf - .` of a dir filled by `fill`. */
function gnuTar(args: string[], fill: (dir: string) => void): Uint8Array {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-tarparse-" });
  try {
    fill(dir);
    const r = new Deno.Command("tar", {
      args: ["--sort=name", "--numeric-owner", ...args, "-C", dir, "-cf", "-", "."],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    if (!r.success) throw new Error(new TextDecoder().decode(r.stderr));
    return r.stdout;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const LONG = "d".repeat(60) + "/" + "e".repeat(70) + "/" + "f".repeat(90) + ".txt";

function fillLong(dir: string): void {
  Deno.mkdirSync(`${dir}/${LONG.slice(0, LONG.lastIndexOf("/"))}`, { recursive: true });
  Deno.writeTextFileSync(`${dir}/${LONG}`, "long name\n");
  Deno.symlinkSync(LONG, `${dir}/link`);
  Deno.linkSync(`${dir}/${LONG}`, `${dir}/hard`);
}

for (const format of ["gnu", "pax", "posix"]) {
  Deno.test(`TarParser: GNU tar --format=${format}: long names, long link targets, every chunking`, () => {
    const bytes = gnuTar([`--format=${format}`], fillLong);
    const whole = parse(bytes);
    const byName = new Map(whole.map((e) => [e.name.replace(/^\.\//, ""), e]));
    assertEquals(byName.get(LONG)?.data, "long name\n");
    assertEquals(byName.get("link")?.type, "symlink");
    assertEquals(byName.get("link")?.linkname, LONG);
    const hard = byName.get("hard") ?? byName.get(LONG);
    assert(hard, "the hardlink pair is there");
    assert(whole.some((e) => e.type === "link"), "one of the pair is a hardlink entry");
    for (const step of [1, 7, 511, 512, 513, 4096]) assertEquals(parse(bytes, step), whole);
  });
}

Deno.test("TarParser: a uid beyond 8 octal digits: base-256 (gnu) and a PAX record (pax)", () => {
  const fill = (dir: string) => Deno.writeTextFileSync(`${dir}/f`, "x");
  for (const format of ["gnu", "pax"]) {
    const bytes = gnuTar([`--format=${format}`, "--owner=:3000000000", "--group=:7"], fill);
    const f = parse(bytes).find((e) => e.name.endsWith("f"))!;
    assertEquals([f.uid, f.gid], [3000000000, 7], format);
  }
});

// hand-made headers for what GNU tar does not write

function header(
  name: string,
  typeflag: string,
  size: number,
  opts: { magic?: "ustar" | "gnu" | "v7"; linkname?: string } = {},
): Uint8Array {
  const b = new Uint8Array(512);
  const enc = new TextEncoder();
  const put = (s: string, off: number) => b.set(enc.encode(s), off);
  const oct = (n: number, len: number) => n.toString(8).padStart(len - 1, "0") + "\0";
  put(name, 0);
  put(oct(0o644, 8), 100);
  put(oct(0, 8), 108);
  put(oct(0, 8), 116);
  put(oct(size, 12), 124);
  put(oct(1_600_000_000, 12), 136);
  b[156] = typeflag.charCodeAt(0);
  if (opts.linkname) put(opts.linkname, 157);
  if (opts.magic !== "v7") put(opts.magic === "gnu" ? "ustar  \0" : "ustar\x0000", 257);
  put("        ", 148);
  let sum = 0;
  for (const x of b) sum += x;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return b;
}

function body(data: string | Uint8Array): Uint8Array {
  const d = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const out = new Uint8Array(Math.ceil(d.length / 512) * 512);
  out.set(d);
  return out;
}

function pax(records: Record<string, string>): Uint8Array {
  let s = "";
  for (const [k, v] of Object.entries(records)) {
    const rec = ` ${k}=${v}\n`;
    let len = rec.length + 1;
    while (String(len).length + rec.length !== len) len = String(len).length + rec.length;
    s += `${len}${rec}`;
  }
  return new TextEncoder().encode(s);
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const END = new Uint8Array(1024);

Deno.test("TarParser: PAX path/size override the header; a global record changes nothing (as umoci)", () => {
  const local = pax({ path: "from/pax.txt", size: "3" });
  const global = pax({ path: "evil" });
  const bytes = cat(
    header("pax_global_header", "g", global.length),
    body(global),
    header("./PaxHeaders/x", "x", local.length),
    body(local),
    header("short", "0", 99),
    body("abc"),
    header("plain", "0", 2),
    body("hi"),
    END,
  );
  assertEquals(parse(bytes).map((e) => [e.name, e.size, e.data]), [
    ["from/pax.txt", 3, "abc"],
    ["plain", 2, "hi"],
  ]);
});

Deno.test("TarParser: header-only types carry no data even with a size (as Go), V7 and old-dir forms", () => {
  const bytes = cat(
    header("dir/", "5", 512, { magic: "gnu" }),
    header("sym", "2", 512, { linkname: "target" }),
    header("olddir/", "\0", 0, { magic: "v7" }),
    header("f", "0", 1),
    body("z"),
    END,
  );
  assertEquals(parse(bytes).map((e) => [e.name, e.type, e.size, e.data]), [
    ["dir/", "directory", 0, ""],
    ["sym", "symlink", 0, ""],
    ["olddir/", "directory", 0, ""],
    ["f", "file", 1, "z"],
  ]);
});

Deno.test("TarParser: ends at the zero block, accepts no end blocks on a header boundary", () => {
  const entry = cat(header("a", "0", 1), body("1"));
  assertEquals(parse(cat(entry, END, header("after", "0", 0))).map((e) => e.name), ["a"]);
  assertEquals(parse(entry).map((e) => e.name), ["a"]);
});

Deno.test("TarParser: truncation, a bad checksum, an unknown type and a bad PAX record are TarFormatErrors", () => {
  const entry = cat(header("a", "0", 600), body("x".repeat(600)));
  const cases: [string, Uint8Array, string][] = [
    ["inside data", entry.subarray(0, 700), "truncated"],
    ["inside a header", entry.subarray(0, 300), "truncated"],
    ["after a long name", cat(header("././@LongLink", "L", 5), body("long\0")), "truncated"],
    [
      "checksum",
      (() => {
        const h = header("a", "0", 0);
        h[0] = 0x62;
        return cat(h, END);
      })(),
      "checksum",
    ],
    ["type", cat(header("a", "S", 0), END), "unsupported tar entry type 'S'"],
    ["pax", cat(header("p", "x", 9), body("9 path=x\n".replace("9", "5")), END), "PAX"],
  ];
  for (const [label, bytes, msg] of cases) {
    const err = assertThrows(() => parse(bytes), TarFormatError, msg);
    assert(err.message.startsWith("test: not a valid tar archive"), label);
  }
});
