/**
 * Record the runtime calls each caller makes: start a private containerd,
 * dockerd and podman with the logging wrapper in front of a runtime (default
 * runc), run the scenarios of ./_scenarios.ts, and write to OUT/<caller>/
 * the raw per-call logs plus `calls.txt`, a readable digest (verb, argv with
 * ids shortened, cwd, extra fds, exit, pid file, stdout of state/ps/features,
 * and a summary of each config.json). tests/oci/CALLERS.md was written from
 * this output; re-run it with `--runtime ./tsbox-runc` to compare.
 *
 *   deno run -A tests/oci/record_calls.ts OUT [--runtime PATH] [--only containerd,dockerd,podman]
 * Root only.
 * @module
 */

import { join, resolve } from "node:path";
import { type CallerEnv, startContainerd, startDockerd, startPodman } from "./_daemons.ts";
import { type LoggedCall, readCalls, verbOf } from "./_runtime_log.ts";
import { stepsFor } from "./_scenarios.ts";

/** A one-paragraph summary of a config.json (what CALLERS.md tabulates). */
export function summariseConfig(text: string): string {
  // deno-lint-ignore no-explicit-any
  const c: any = JSON.parse(text);
  const l = c.linux ?? {};
  const p = c.process ?? {};
  const hooks = Object.entries(c.hooks ?? {}).map(([k, v]) =>
    `${k}:${
      (v as { path: string; args?: string[] }[]).map((h) =>
        [h.path, ...(h.args ?? []).slice(1)].join(" ")
      ).join("|")
    }`
  );
  const lines = [
    `ociVersion ${c.ociVersion}; root ${JSON.stringify(c.root)}; hostname ${
      JSON.stringify(c.hostname)
    }`,
    `process: terminal=${p.terminal} user=${JSON.stringify(p.user)} cwd=${p.cwd} args=${
      JSON.stringify(p.args)
    }`,
    `  env=${JSON.stringify(p.env)}`,
    `  noNewPrivileges=${p.noNewPrivileges} oomScoreAdj=${p.oomScoreAdj} apparmor=${
      p.apparmorProfile ?? "-"
    } rlimits=${JSON.stringify(p.rlimits)}`,
    `  capabilities: ${
      Object.entries(p.capabilities ?? {}).map(([k, v]) => `${k}=${(v as string[]).length}`).join(
        " ",
      )
    } bounding=${JSON.stringify(p.capabilities?.bounding)}`,
    `mounts (${(c.mounts ?? []).length}): ${
      (c.mounts ?? []).map((
        m: { destination: string; type?: string; source?: string; options?: string[] },
      ) =>
        `${m.destination}[${m.type ?? ""}${m.source && m.type === "bind" ? ` ${m.source}` : ""}${
          m.options ? ` ${m.options.join(",")}` : ""
        }]`
      ).join(" ")
    }`,
    `namespaces: ${
      (l.namespaces ?? []).map((n: { type: string; path?: string }) =>
        n.path ? `${n.type}=${n.path}` : n.type
      ).join(" ")
    }`,
    `cgroupsPath=${l.cgroupsPath} resources=${JSON.stringify(l.resources)}`,
    `seccomp: ${
      l.seccomp
        ? `default=${l.seccomp.defaultAction} defaultErrnoRet=${l.seccomp.defaultErrnoRet} archs=${
          (l.seccomp.architectures ?? []).length
        } rules=${(l.seccomp.syscalls ?? []).length} syscallNames=${
          (l.seccomp.syscalls ?? []).reduce((n: number, s: { names: string[] }) =>
            n + s.names.length, 0)
        } actions=${
          [...new Set((l.seccomp.syscalls ?? []).map((s: { action: string }) => s.action))].join(
            ",",
          )
        }`
        : "none"
    }`,
    `maskedPaths=${(l.maskedPaths ?? []).length} readonlyPaths=${
      (l.readonlyPaths ?? []).length
    } sysctl=${JSON.stringify(l.sysctl ?? {})} devices=${(l.devices ?? []).length} mountLabel=${
      l.mountLabel ?? "-"
    }`,
    `hooks: ${hooks.join("; ") || "none"}`,
    `annotations: ${Object.keys(c.annotations ?? {}).join(",") || "none"}`,
  ];
  return lines.join("\n");
}

function shorten(s: string, ids: Map<string, string>): string {
  return s.replace(/\b[0-9a-f]{64}\b/g, (h) => {
    if (!ids.has(h)) ids.set(h, `<id${ids.size + 1}>`);
    return ids.get(h)!;
  });
}

function digest(calls: LoggedCall[]): string {
  const ids = new Map<string, string>();
  const out: string[] = [];
  // what the recorder itself inherited (its environment, fds its parent leaked)
  // is not the caller's doing: show only the differences
  const baseEnv = new Set(Object.entries(Deno.env.toObject()).map(([k, v]) => `${k}=${v}`));
  const baseFds = new Set<string>();
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    if (Number(e.name) <= 2) continue;
    try {
      baseFds.add(`${e.name} -> ${Deno.readLinkSync(`/proc/self/fd/${e.name}`)}`);
    } catch (err) {
      // the directory fd of this very listing is gone once read
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  for (const c of calls) {
    out.push(`--- ${c.n}: ${verbOf(c)}  (parent: ${shorten(c.parent, ids).slice(0, 160)})`);
    out.push(`argv: ${shorten(c.argv.join(" "), ids)}`);
    out.push(`cwd: ${shorten(c.cwd, ids)}`);
    out.push(
      `fds: ${c.fds.filter((f) => !baseFds.has(f)).map((f) => shorten(f, ids)).join(" ; ")}`,
    );
    const env = c.env.filter((e) => !baseEnv.has(e));
    const unset = [...baseEnv].filter((e) => !c.env.includes(e)).map((e) => e.split("=")[0]);
    out.push(`env (besides the recorder's): ${env.map((e) => shorten(e, ids)).join(" ") || "-"}`);
    if (unset.length && unset.length < 20) out.push(`env removed: ${unset.join(" ")}`);
    else if (unset.length) out.push(`env removed: ${unset.length} of the recorder's variables`);
    if (c.exit !== undefined) out.push(`exit: ${c.exit}`);
    if (c.pidFile !== undefined) out.push(`pid-file content: ${c.pidFile}`);
    if (c.stdout !== undefined) out.push(`stdout: ${shorten(c.stdout.trim(), ids).slice(0, 1500)}`);
    if (c.config) out.push(shorten(summariseConfig(c.config), ids));
    if (c.process) out.push(`process.json: ${shorten(c.process.trim(), ids)}`);
    if (c.stdin) out.push(`stdin: ${c.stdin.trim()}`);
  }
  return out.join("\n") + "\n";
}

async function record(kind: CallerEnv["kind"], out: string, runtime?: string): Promise<void> {
  const logDir = join(out, kind);
  Deno.mkdirSync(out, { recursive: true });
  const start = kind === "containerd"
    ? startContainerd
    : kind === "dockerd"
    ? startDockerd
    : startPodman;
  const t0 = performance.now();
  const env = await start({ runtime, logDir });
  const marks: string[] = [];
  try {
    for (const step of stepsFor(kind)) {
      const first = readCalls(env.log).length + 1;
      try {
        await step.run(env);
        marks.push(`${step.name}: ok (calls from ${first})`);
      } catch (err) {
        marks.push(
          `${step.name}: FAILED (calls from ${first}): ${err instanceof Error ? err.message : err}`,
        );
      }
    }
  } finally {
    const left = await env.stop();
    marks.push(`stop: leftovers ${JSON.stringify(left)}`);
  }
  const calls = readCalls(env.log);
  Deno.writeTextFileSync(
    join(logDir, "calls.txt"),
    `# ${kind}, runtime ${env.runtime}, ${((performance.now() - t0) / 1000).toFixed(1)} s\n` +
      marks.map((m) => `# ${m}`).join("\n") + "\n" + digest(calls),
  );
  console.log(
    `${kind}: ${calls.length} runtime calls, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  for (const m of marks) console.log(`  ${m}`);
}

if (import.meta.main) {
  const args = [...Deno.args];
  let runtime: string | undefined;
  let only = ["containerd", "dockerd", "podman"];
  const out = args.shift();
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--runtime") runtime = resolve(args[++i]);
    else if (args[i] === "--only") only = args[++i].split(",");
  }
  if (!out) {
    console.error("usage: record_calls.ts OUT [--runtime PATH] [--only containerd,dockerd,podman]");
    Deno.exit(2);
  }
  for (const kind of only) await record(kind as CallerEnv["kind"], resolve(out), runtime);
}
