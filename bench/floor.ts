/**
 * The floor of a start made of two Deno processes, for `deno task bench`:
 * this process, as its first act, spawns a second `deno run` of an empty
 * module with tsbox's own spawn (ffi/spawn.ts, as the CLI spawns its init)
 * and tsbox's own flags, and waits for it. Nothing of tsbox's work happens
 * in either: what this takes is what any design whose CLI and container
 * init are both Deno processes pays before doing anything.
 *
 * Usage: deno run -A … bench/floor.ts DENO EMPTY_MODULE
 * @module
 */

import { posixSpawn, waitChildSync } from "../ffi/spawn.ts";
import { DENO_RUN_ARGS } from "../lib/self.ts";

const [deno, empty] = Deno.args;
const pid = posixSpawn(deno, [deno, "run", ...DENO_RUN_ARGS, empty], [], { setsid: false });
const st = waitChildSync(pid);
if (st.code !== 0) Deno.exit(1);
