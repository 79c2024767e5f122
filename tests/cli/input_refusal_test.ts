/**
 * Bad input gets a clear one-line refusal and changes nothing: special
 * subnets for `network create`, arguments or filters `prune` would ignore,
 * an out-of-range `ps -n`. Requires root (network create checks run as root).
 */

import { assert, assertEquals } from "../helpers/assert.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";

async function refused(root: string, args: string[], part: string): Promise<void> {
  const r = await tsbox(root, args);
  assert(r.code !== 0, `${args.join(" ")} was accepted: ${r.stdout}`);
  assert(r.stderr.startsWith("tsbox: ") && r.stderr.includes(part), r.stderr);
}

Deno.test("network create: special-purpose subnets are refused", async () => {
  await withRoot(async (root) => {
    try {
      for (
        const s of ["0.0.0.0/8", "127.0.0.0/16", "169.254.0.0/24", "224.0.0.0/8", "240.0.0.0/8"]
      ) {
        await refused(root, ["network", "create", "--subnet", s, "tnet"], `invalid subnet "${s}"`);
      }
      assertEquals((await tsbox(root, ["network", "ls"])).stdout.includes("tnet"), false);
    } finally {
      // a wrongly accepted one made a host bridge: remove it even when the test failed
      await tsbox(root, ["network", "rm", "tnet"]);
    }
  });
});

Deno.test("prune: arguments and unsupported filters are refused, not ignored", async () => {
  await withRoot(async (root) => {
    await refused(root, ["network", "prune", "-f", "extra"], "accepts no arguments");
    // network prune honours label and until (tests/cli/filters_cli_test.ts); other keys are refused
    await refused(root, ["network", "prune", "-f", "--filter", "driver=bridge"], "invalid filter");
    await refused(root, ["system", "prune", "-f", "--filter", "until=1h"], "--filter");
  });
});

Deno.test("ps: -n beyond a safe integer is refused", async () => {
  await withRoot(async (root) => {
    await refused(root, ["ps", "-n", "18446744073709551616"], "--last");
    await refused(root, ["ps", "-n", "1e3"], "--last");
    assertEquals((await tsbox(root, ["ps", "-n", "-1"])).code, 0);
  });
});
