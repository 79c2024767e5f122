/**
 * Test fixture: a real unprivileged user with subordinate ranges, a copy
 * of tsbox's source it can read, and a way to run tsbox as that user (no
 * sudo: Deno spawns it with the user's uid/gid). Removed after, with the
 * user's pause process, state and runtime dirs; nothing of the user may
 * be left running.
 * @module
 */

import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { withSubids } from "../helpers/subid.ts";
import { DENO, MAIN, SOURCE_MAIN } from "../helpers/tsbox.ts";
import { V8_FLAGS } from "../../lib/self.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const SOURCES = ["main.ts", "deno.json", "deno.lock", "lib", "ffi", "volumes"];

/** The test user. */
export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** The tsbox source copy the user runs. */
  src: string;
  /** The main module the user runs: the copy's main.ts, or a copy of the bundle under test's. */
  main: string;
  /** First host id of the user's subordinate range (maps to container id 1). */
  subStart: number;
}

function run(cmd: string, args: string[]): string {
  const r = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  }
  return new TextDecoder().decode(r.stdout);
}

function userExists(name: string): boolean {
  return Deno.readTextFileSync("/etc/passwd").split("\n").some((l) => l.startsWith(`${name}:`));
}

/** Every process of `uid` (there must be none after a test). */
export function processesOf(uid: number): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const st = Deno.readTextFileSync(`/proc/${e.name}/status`);
      const u = Number(/^Uid:\s+(\d+)/m.exec(st)?.[1]);
      if (u === uid) out.push(`${e.name}: ${Deno.readTextFileSync(`/proc/${e.name}/cmdline`)}`);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // exited meanwhile
    }
  }
  return out;
}

/** Kill what the user left (the pause process holds its namespace) and wait until gone. */
function killAll(uid: number): void {
  const r = new Deno.Command("pkill", { args: ["-KILL", "-U", String(uid)] }).outputSync();
  void r;
  for (let i = 0; i < 200 && processesOf(uid).length; i++) {
    new Deno.Command("sleep", { args: ["0.05"] }).outputSync();
  }
}

/**
 * Run `fn` with a fresh user `name` having subordinate ids `subStart…+65535`
 * (and, with `ranges: false`, none). Requires root.
 */
export async function withTestUser<T>(
  name: string,
  fn: (u: TestUser) => Promise<T>,
  opts: { ranges?: boolean; subStart?: number } = {},
): Promise<T> {
  const subStart = opts.subStart ?? 400_000;
  if (userExists(name)) run("userdel", ["-r", "-f", name]); // a crashed earlier run
  const lines = opts.ranges === false ? [] : [`${name}:${subStart}:65536`];
  return await withSubids(lines, async () => {
    // no automatic ranges from useradd: the test decides them
    run("useradd", ["-m", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", name]);
    const uid = Number(run("id", ["-u", name]).trim());
    const gid = Number(run("id", ["-g", name]).trim());
    const home = `/home/${name}`;
    const src = join(home, "tsbox-src");
    try {
      Deno.mkdirSync(src);
      run("cp", ["-r", ...SOURCES.map((s) => join(REPO, s)), src]);
      run("chown", ["-R", `${uid}:${gid}`, src]);
      // the code under test: a bundle (tests/helpers/tsbox.ts MAIN) is copied whole
      let main = join(src, "main.ts");
      if (MAIN !== SOURCE_MAIN) {
        const dist = join(home, "tsbox-dist");
        run("cp", ["-r", dirname(MAIN), dist]);
        run("chown", ["-R", `${uid}:${gid}`, dist]);
        main = join(dist, basename(MAIN));
      }
      return await fn({ name, uid, gid, home, src, main, subStart });
    } finally {
      killAll(uid);
      run("userdel", ["-r", "-f", name]);
      removeIfThere(`/tmp/tsbox-${uid}`);
    }
  });
}

/** The test's environment without what names root's home, state or runtime dirs. */
function passedEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  for (const k of Object.keys(env)) {
    if (/^(HOME|USER|LOGNAME|MAIL|PWD|OLDPWD|DENO_DIR|XDG_.*|TSBOX_.*)$/.test(k)) delete env[k];
  }
  return env; // PATH and the CA bundle settings (Deno fetches npm packages for the user)
}

/** rm -r of a dir that may not exist (tsbox never ran as the user). */
function removeIfThere(path: string): void {
  try {
    Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  Deno.removeSync(path, { recursive: true });
}

/** Run `tsbox ARGS` as the user (no sudo, no root anywhere). */
export async function asUser(
  u: TestUser,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(DENO, {
    args: ["run", "-A", "--quiet", `--v8-flags=${V8_FLAGS}`, u.main, ...args],
    uid: u.uid,
    gid: u.gid,
    clearEnv: true,
    env: { ...passedEnv(), HOME: u.home, USER: u.name, LOGNAME: u.name },
    cwd: u.home,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
