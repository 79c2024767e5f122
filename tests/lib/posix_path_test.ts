/**
 * lib/posix_path.ts against node:path (the oracle) on every combination of
 * awkward segments: empty, repeated and trailing slashes, `.`, `..`, dot
 * files, names ending in the suffix.
 */

import * as node from "node:path";
import * as ours from "../../lib/posix_path.ts";
import { assertEquals } from "../helpers/assert.ts";

const SEGMENTS = [
  "",
  "/",
  "//",
  "///",
  ".",
  "..",
  "...",
  "a",
  ".a",
  "a.",
  "b.txt",
  "a/",
  "a//",
  "/a",
  "/a/b",
  "//a",
  "../x",
  "./x",
  "a/..",
  "a//b/./c/..",
  "/..",
  "/../..",
  "x/../../y",
  "/a/b/c/",
  "a/b/../../..",
  "..a/..b",
  ".txt",
];

/** Every path made of one or two segments. */
const PATHS = [...new Set([...SEGMENTS, ...SEGMENTS.flatMap((a) => SEGMENTS.map((b) => a + b))])];

function same<T>(what: string, got: T, want: T): void {
  assertEquals(got, want, what);
}

Deno.test("normalize, dirname, basename, isAbsolute: as node:path on every path", () => {
  for (const p of PATHS) {
    same(`normalize(${p})`, ours.normalize(p), node.posix.normalize(p));
    same(`dirname(${p})`, ours.dirname(p), node.posix.dirname(p));
    same(`basename(${p})`, ours.basename(p), node.posix.basename(p));
    same(`isAbsolute(${p})`, ours.isAbsolute(p), node.posix.isAbsolute(p));
    for (const ext of ["", ".txt", "txt", "a", ".", "b.txt", "/", p]) {
      same(`basename(${p}, ${ext})`, ours.basename(p, ext), node.posix.basename(p, ext));
    }
  }
});

Deno.test("join, resolve, relative: as node:path on every pair", () => {
  for (const a of PATHS) {
    for (const b of SEGMENTS) {
      same(`join(${a}, ${b})`, ours.join(a, b), node.posix.join(a, b));
      same(`resolve(${a}, ${b})`, ours.resolve(a, b), node.posix.resolve(a, b));
      same(`relative(${a}, ${b})`, ours.relative(a, b), node.posix.relative(a, b));
      same(`relative(${b}, ${a})`, ours.relative(b, a), node.posix.relative(b, a));
    }
  }
  same("join()", ours.join(), node.posix.join());
  same("join(a, b, c)", ours.join("/a", "", "../b", "c/"), node.posix.join("/a", "", "../b", "c/"));
  same("resolve()", ours.resolve(), node.posix.resolve());
});
