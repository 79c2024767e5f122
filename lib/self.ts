/**
 * How to re-execute tsbox itself: the compiled binary is just `execPath`;
 * under `deno run` it is `deno run -A <main module>`.
 * @module
 */

import { basename } from "node:path";
import { fromFileUrl } from "./url.ts";

/** argv prefix that starts this same program. */
export function selfCommand(): string[] {
  const exe = Deno.execPath();
  if (basename(exe) !== "deno") return [exe];
  return [exe, "run", "-A", "--quiet", "--no-prompt", fromFileUrl(Deno.mainModule)];
}
