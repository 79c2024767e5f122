import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { dirname } from "node:path";
import { DENO_RUN_ARGS, entryCommand, selfCommand, V8_FLAGS } from "../../lib/self.ts";
import { TsboxError } from "../../lib/errors.ts";
import { fromFileUrl } from "../../lib/url.ts";
import { MAIN } from "../helpers/tsbox.ts";

const exe = Deno.readLinkSync("/proc/self/exe");
const main = fromFileUrl(Deno.mainModule);
const run = (deno: string) => [deno, "run", ...DENO_RUN_ARGS, main];

Deno.test("selfCommand: with /proc, deno run -A of the main module", () => {
  assertEquals(selfCommand(""), run(exe));
});

Deno.test("selfCommand: without /proc/self/exe, the deno on PATH runs the main module", () => {
  assertEquals(selfCommand(`/nonexistent:${dirname(exe)}`, "/nonexistent/proc/self/exe"), run(exe));
});

Deno.test("selfCommand: without /proc/self/exe and no deno on PATH, a one-line error (no panic)", () => {
  const err = assertThrows(
    () => selfCommand("/nonexistent", "/nonexistent/proc/self/exe"),
    TsboxError,
  );
  assertEquals(
    err.message,
    "cannot find tsbox's own executable: /nonexistent/proc/self/exe is unreadable",
  );
});

Deno.test({
  name: "main: without /proc mounted the CLI runs (no Deno.execPath panic)",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const root = Deno.makeTempDirSync({ prefix: "tsbox-test-noproc-" });
    try {
      // a private mount namespace whose /proc is gone, as in a bare chroot
      const script =
        `umount -l /proc && exec "$0" run -A --quiet --v8-flags=${V8_FLAGS} "$1" --root "$2" ps -a`;
      const out = await new Deno.Command("unshare", {
        args: ["-m", "--propagation", "private", "sh", "-c", script, exe, MAIN, root],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assertEquals(text.includes("panicked"), false, text);
      assertEquals(out.code, 0, text);
      assertEquals(text.trim().split("\n")[0].startsWith("CONTAINER ID"), true, text);
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  },
});

Deno.test("tsbox-runc runs tsbox with tsbox's V8 flags (one code cache for every tsbox process)", () => {
  const script = Deno.readTextFileSync(new URL("../../tsbox-runc", import.meta.url));
  assertEquals(script.includes(` --v8-flags=${V8_FLAGS} `), true, script);
});

Deno.test("entryCommand: under deno run, the entry's own file beside main (.js bundled, .ts source)", () => {
  const pre = ["/usr/bin/deno", "run", ...DENO_RUN_ARGS];
  assertEquals(entryCommand([...pre, "/opt/tsbox/main.js"], "lib/init/main.ts"), [
    ...pre,
    "/opt/tsbox/lib/init/main.js",
  ]);
  assertEquals(entryCommand([...pre, "/src/tsbox/main.ts"], "lib/init/exec_main.ts"), [
    ...pre,
    "/src/tsbox/lib/init/exec_main.ts",
  ]);
  // a compiled tsbox is one executable; anything but a main module is left as it is
  assertEquals(entryCommand(["/usr/local/bin/tsbox"], "lib/init/main.ts"), [
    "/usr/local/bin/tsbox",
  ]);
  assertEquals(entryCommand([...pre, "/opt/x/other.js"], "lib/init/main.ts"), [
    ...pre,
    "/opt/x/other.js",
  ]);
});

Deno.test("entryCommand: the init and exec modules, run as the main module, refuse to run outside tsbox", async () => {
  for (
    const [module, name] of [["lib/init/main.ts", "__init"], ["lib/init/exec_main.ts", "__exec"]]
  ) {
    const [deno, ...args] = entryCommand(selfCommand(""), module);
    for (
      const extra of [["--root", "/nonexistent-root", name], [name], ["--root", "/x", "__other"]]
    ) {
      const out = await new Deno.Command(deno, {
        args: [
          ...args.slice(0, -1),
          new URL(`../../${module}`, import.meta.url).pathname,
          ...extra,
        ],
        env: { _TSBOX_INIT_FD: "", _TSBOX_EXEC_FD: "" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(out.stderr).trim();
      assertEquals(err, `tsbox: ${name} is internal to tsbox`, `${module} ${extra.join(" ")}`);
      assertEquals(out.code, 125, `${module} ${extra.join(" ")}`);
    }
  }
});
