/**
 * User namespaces in `deno task bench`: `run --rm --network none busybox
 * true` plain, rootful remapped (`--userns=auto`) and rootless (a test user
 * made for the run), medians of the same run. Root only; the user, its
 * subordinate ranges and tsbox's are removed after.
 * @module
 */

import { makeBusyboxTar } from "../tests/helpers/busybox.ts";
import { seedImage } from "../tests/run/_image.ts";
import { tsboxArgv } from "../tests/helpers/tsbox.ts";
import { withSubids } from "../tests/helpers/subid.ts";
import { asUser, withTestUser } from "../tests/userns/_rootless_user.ts";

const N = Number(Deno.env.get("BENCH_N") ?? 10);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(fn: () => Promise<{ code: number; stderr?: string }>): Promise<number> {
  const t = performance.now();
  const r = await fn();
  const ms = performance.now() - t;
  if (r.code !== 0) throw new Error(`benchmark run failed: ${r.stderr}`);
  return ms;
}

async function tsboxRun(root: string, flags: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: tsboxArgv(root, ["run", "--rm", "--network", "none", ...flags, "busybox", "true"]),
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** Print plain vs remapped vs rootless start-up. */
export async function runUsernsBench(): Promise<void> {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-bench-userns-" });
  try {
    await seedImage(root);
    await withSubids(["tsbox:1000000:1000000"], () =>
      withTestUser("tsbox-bench-rl", async (u) => {
        const tar = `${u.home}/busybox.tar`;
        makeBusyboxTar(tar);
        Deno.chownSync(tar, u.uid, u.gid);
        const imp = await asUser(u, ["import", tar, "busybox"]);
        if (imp.code !== 0) throw new Error(imp.stderr);
        const rootless = () => asUser(u, ["run", "--rm", "--network", "none", "busybox", "true"]);
        // warm-up (module caches, the rootless pause process)
        await tsboxRun(root, []);
        await tsboxRun(root, ["--userns=auto"]);
        await rootless();
        const plain: number[] = [], remapped: number[] = [], rl: number[] = [];
        for (let i = 0; i < N; i++) {
          plain.push(await timed(() => tsboxRun(root, [])));
          remapped.push(await timed(() => tsboxRun(root, ["--userns=auto"])));
          rl.push(await timed(rootless));
        }
        const p = median(plain);
        console.log(
          `\nuser namespaces: run --rm --network none busybox true (${N} runs, median ms)`,
        );
        console.log(`  plain (host userns)       ${p.toFixed(1).padStart(7)}`);
        console.log(
          `  --userns=auto (rootful)   ${median(remapped).toFixed(1).padStart(7)}  ${
            (median(remapped) / p).toFixed(2)
          }× plain`,
        );
        console.log(
          `  rootless (ordinary user)  ${median(rl).toFixed(1).padStart(7)}  ${
            (median(rl) / p).toFixed(2)
          }× plain`,
        );
      }));
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

if (import.meta.main) await runUsernsBench();
