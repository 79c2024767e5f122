import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { readTar } from "../../lib/image/tar_read.ts";
import { entryComponents } from "../../lib/image/safe_path.ts";
import { ImageError } from "../../lib/errors.ts";

async function names(bytes: Uint8Array): Promise<string[]> {
  const out: string[] = [];
  for await (
    const e of readTar(
      (async function* () {
        yield bytes;
      })(),
      "test",
    )
  ) out.push(e.header.name);
  return out;
}

function tarOf(dir: string): Uint8Array {
  const out = Deno.makeTempFileSync();
  try {
    const r = new Deno.Command("tar", { args: ["-C", dir, "-cf", out, "."] }).outputSync();
    if (!r.success) throw new Error("tar failed");
    return Deno.readFileSync(out);
  } finally {
    Deno.removeSync(out);
  }
}

Deno.test("readTar: accepts a tar without end-of-archive blocks (as Go's reader does)", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/f`, "hi\n");
    const full = tarOf(dir);
    let end = full.length;
    while (end >= 512 && full.subarray(end - 512, end).every((b) => b === 0)) end -= 512;
    const bare = full.slice(0, end);
    assertEquals(await names(bare), await names(full));
    // a tar cut inside an entry's data is still an error
    await names(bare.slice(0, end - 512 - 100)).then(
      () => {
        throw new Error("truncated tar accepted");
      },
      (err) => assertEquals(err instanceof ImageError, true),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("entryComponents: a lone '/' is the root; other absolute names are refused", () => {
  assertEquals(entryComponents("/", "t"), []);
  assertEquals(entryComponents("./", "t"), []);
  assertThrows(() => entryComponents("/etc/passwd", "t"), ImageError);
  assertThrows(() => entryComponents("//etc", "t"), ImageError);
  assertThrows(() => entryComponents("a/../../b", "t"), ImageError);
});
