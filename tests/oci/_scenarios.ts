/**
 * The caller scenarios of issue 11 — run, run -d, exec, exec -t, logs,
 * pause/resume, stop, kill, rm, a missing command, run -t, and for docker
 * `--network container:` — for each of containerd (ctr), dockerd and podman,
 * as lists of named steps. Each step asserts what the user sees and throws
 * on a mismatch. Shared by callers_test.ts and record_calls.ts.
 * @module
 */

import { join } from "node:path";
import type { RunResult } from "../helpers/tsbox.ts";
import {
  BUSYBOX_IMAGE,
  type CallerEnv,
  ctrRunArgs,
  DOCKER_RUNTIME_NAME,
  PODMAN_RUN_ARGS,
} from "./_daemons.ts";

/** A PID 1 that prints a line and exits 0 on SIGTERM (a bare `sleep` as PID 1 ignores it). */
const SERVICE = "trap 'exit 0' TERM; echo logged; sleep 1000 & wait";

/** One named step of a caller scenario. */
export interface Step {
  name: string;
  run(env: CallerEnv): Promise<void>;
}

function expectOk(what: string, r: RunResult, stdoutIncludes?: string): RunResult {
  if (r.code !== 0) {
    throw new Error(`${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  if (stdoutIncludes !== undefined && !r.stdout.includes(stdoutIncludes)) {
    throw new Error(`${what}: stdout lacks "${stdoutIncludes}": ${JSON.stringify(r.stdout)}`);
  }
  return r;
}

function expectFail(what: string, r: RunResult, code: number | undefined, errIncludes: RegExp) {
  const all = r.stdout + r.stderr;
  if (r.code === 0 || (code !== undefined && r.code !== code) || !errIncludes.test(all)) {
    throw new Error(
      `${what}: expected failure${code === undefined ? "" : ` ${code}`} matching ${errIncludes}, ` +
        `got exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    );
  }
}

/** Poll `probe` (a CLI query of an observable state) until it returns true. */
async function until(what: string, probe: () => Promise<boolean>, tries = 300): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await probe()) return;
    // the callers offer no "wait for state X" for every state: re-query
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** ctr (containerd 1.6) with `--runc-binary`. */
export function containerdSteps(): Step[] {
  const img = BUSYBOX_IMAGE;
  const taskStatus = async (env: CallerEnv, id: string) => {
    const r = await env.cli(["task", "ls"]);
    return r.stdout.split("\n").find((l) => l.split(/\s+/)[0] === id)?.split(/\s+/)[2] ?? "";
  };
  return [
    {
      name: "run --rm prints the command's output",
      run: async (env) => {
        expectOk(
          "ctr run",
          await env.cli(["run", "--rm", ...ctrRunArgs(env), img, "c-run", "echo", "hello"]),
          "hello",
        );
      },
    },
    {
      name: "run -t gives the process a terminal",
      run: async (env) => {
        expectOk(
          "ctr run -t",
          await env.cli(["run", "--rm", "-t", ...ctrRunArgs(env), img, "c-tty", "tty"], {
            tty: true,
          }),
          "/dev/pts/",
        );
      },
    },
    {
      name: "run -d with a log file, then logs show the output",
      run: async (env) => {
        const logFile = join(env.dir, "c-d.log");
        expectOk(
          "ctr run -d",
          await env.cli([
            "run",
            "-d",
            "--log-uri",
            `file://${logFile}`,
            ...ctrRunArgs(env),
            img,
            "c-d",
            "sh",
            "-c",
            SERVICE,
          ]),
        );
        await until("RUNNING", async () => await taskStatus(env, "c-d") === "RUNNING");
        await until("the log line", () => {
          try {
            return Promise.resolve(Deno.readTextFileSync(logFile).includes("logged"));
          } catch (err) {
            if (err instanceof Deno.errors.NotFound) return Promise.resolve(false);
            throw err;
          }
        });
      },
    },
    {
      name: "exec runs a second process",
      run: async (env) => {
        expectOk(
          "ctr task exec",
          await env.cli(["task", "exec", "--exec-id", "e1", "c-d", "echo", "from-exec"]),
          "from-exec",
        );
      },
    },
    {
      name: "exec -t gives the exec'd process a terminal",
      run: async (env) => {
        expectOk(
          "ctr task exec -t",
          await env.cli(["task", "exec", "-t", "--exec-id", "e2", "c-d", "tty"], { tty: true }),
          "/dev/pts/",
        );
      },
    },
    {
      name: "ps lists the container's processes",
      run: async (env) => {
        expectOk("ctr task ps", await env.cli(["task", "ps", "c-d"]));
      },
    },
    {
      name: "pause and resume",
      run: async (env) => {
        expectOk("ctr task pause", await env.cli(["task", "pause", "c-d"]));
        await until("PAUSED", async () => await taskStatus(env, "c-d") === "PAUSED");
        expectOk("ctr task resume", await env.cli(["task", "resume", "c-d"]));
        await until("RUNNING", async () => await taskStatus(env, "c-d") === "RUNNING");
      },
    },
    {
      name: "kill SIGTERM stops it; delete removes task and container",
      run: async (env) => {
        expectOk("ctr task kill", await env.cli(["task", "kill", "-s", "SIGTERM", "c-d"]));
        await until("STOPPED", async () => await taskStatus(env, "c-d") === "STOPPED");
        expectOk("ctr task delete", await env.cli(["task", "delete", "c-d"]));
        expectOk("ctr container delete", await env.cli(["container", "delete", "c-d"]));
      },
    },
    {
      name: "kill SIGKILL of a running container",
      run: async (env) => {
        expectOk(
          "ctr run -d",
          await env.cli(["run", "-d", ...ctrRunArgs(env), img, "c-k", "sleep", "1000"]),
        );
        await until("RUNNING", async () => await taskStatus(env, "c-k") === "RUNNING");
        expectOk("ctr task kill", await env.cli(["task", "kill", "-s", "SIGKILL", "c-k"]));
        await until("STOPPED", async () => await taskStatus(env, "c-k") === "STOPPED");
        expectOk("ctr task delete", await env.cli(["task", "delete", "c-k"]));
        expectOk("ctr container delete", await env.cli(["container", "delete", "c-k"]));
      },
    },
    {
      name: "a missing command's error reaches the user",
      run: async (env) => {
        expectFail(
          "ctr run /nonexistent",
          await env.cli(["run", "--rm", ...ctrRunArgs(env), img, "c-miss", "/nonexistent"]),
          undefined,
          /nonexistent|no such file/i,
        );
        // containerd keeps the container record of a failed start
        await env.cli(["container", "delete", "c-miss"]);
      },
    },
  ];
}

/** docker (dockerd 20.10) with `--runtime logrunc`. */
export function dockerSteps(): Step[] {
  const img = BUSYBOX_IMAGE;
  const rt = ["--runtime", DOCKER_RUNTIME_NAME];
  const state = async (env: CallerEnv, name: string) =>
    (await env.cli(["inspect", "-f", "{{.State.Status}}", name])).stdout.trim();
  return [
    {
      name: "run --rm prints the command's output",
      run: async (env) => {
        expectOk(
          "docker run",
          await env.cli(["run", "--rm", ...rt, "--network", "none", img, "echo", "hello"]),
          "hello",
        );
      },
    },
    {
      name: "run -t gives the process a terminal",
      run: async (env) => {
        expectOk(
          "docker run -t",
          await env.cli(["run", "--rm", "-t", ...rt, "--network", "none", img, "tty"], {
            tty: true,
          }),
          "/dev/pts/",
        );
      },
    },
    {
      name: "run -d, then logs show the output",
      run: async (env) => {
        expectOk(
          "docker run -d",
          await env.cli([
            "run",
            "-d",
            "--name",
            "d1",
            ...rt,
            "--network",
            "none",
            img,
            "sh",
            "-c",
            SERVICE,
          ]),
        );
        await until(
          "the log line",
          async () => (await env.cli(["logs", "d1"])).stdout.includes("logged"),
        );
      },
    },
    {
      name: "exec runs a second process",
      run: async (env) => {
        expectOk("docker exec", await env.cli(["exec", "d1", "echo", "from-exec"]), "from-exec");
      },
    },
    {
      name: "exec -t gives the exec'd process a terminal",
      run: async (env) => {
        expectOk(
          "docker exec -t",
          await env.cli(["exec", "-t", "d1", "tty"], { tty: true }),
          "/dev/pts/",
        );
      },
    },
    {
      name: "--network container: shares the first container's network namespace",
      run: async (env) => {
        expectOk(
          "docker run --network container:d1",
          await env.cli([
            "run",
            "-d",
            "--name",
            "d2",
            ...rt,
            "--network",
            "container:d1",
            img,
            "sleep",
            "1000",
          ]),
        );
        const a = expectOk(
          "readlink",
          await env.cli(["exec", "d1", "readlink", "/proc/self/ns/net"]),
        );
        const b = expectOk(
          "readlink",
          await env.cli(["exec", "d2", "readlink", "/proc/self/ns/net"]),
        );
        if (a.stdout.trim() !== b.stdout.trim()) {
          throw new Error(`net namespaces differ: ${a.stdout.trim()} vs ${b.stdout.trim()}`);
        }
      },
    },
    {
      name: "top lists the container's processes",
      run: async (env) => {
        expectOk("docker top", await env.cli(["top", "d1"]), "sleep");
      },
    },
    {
      name: "pause and unpause",
      run: async (env) => {
        expectOk("docker pause", await env.cli(["pause", "d1"]));
        if (await state(env, "d1") !== "paused") throw new Error("not paused");
        expectOk("docker unpause", await env.cli(["unpause", "d1"]));
        if (await state(env, "d1") !== "running") throw new Error("not running after unpause");
      },
    },
    {
      name: "update the memory limit",
      run: async (env) => {
        expectOk(
          "docker update",
          await env.cli(["update", "--memory", "64m", "--memory-swap", "128m", "d1"]),
        );
      },
    },
    {
      name: "kill, stop and rm",
      run: async (env) => {
        expectOk("docker kill", await env.cli(["kill", "d2"]));
        expectOk("docker stop", await env.cli(["stop", "-t", "2", "d1"]));
        if (await state(env, "d1") !== "exited") throw new Error("d1 not exited after stop");
        expectOk("docker rm", await env.cli(["rm", "d1", "d2"]));
      },
    },
    {
      name: "a missing command's error reaches the user (exit 127)",
      run: async (env) => {
        expectFail(
          "docker run /nonexistent",
          await env.cli(["run", "--rm", ...rt, "--network", "none", img, "/nonexistent"]),
          127,
          /nonexistent|no such file/i,
        );
      },
    },
  ];
}

/** podman 4.3 with `--runtime PATH`. */
export function podmanSteps(): Step[] {
  const img = BUSYBOX_IMAGE;
  const run = ["run", ...PODMAN_RUN_ARGS];
  const state = async (env: CallerEnv, name: string) =>
    (await env.cli(["inspect", "-f", "{{.State.Status}}", name])).stdout.trim();
  return [
    {
      name: "run --rm prints the command's output",
      run: async (env) => {
        expectOk("podman run", await env.cli([...run, "--rm", img, "echo", "hello"]), "hello");
      },
    },
    {
      name: "run -t gives the process a terminal",
      run: async (env) => {
        expectOk(
          "podman run -t",
          await env.cli([...run, "--rm", "-t", img, "tty"], { tty: true }),
          "/dev/pts/",
        );
      },
    },
    {
      name: "run -d, then logs show the output",
      run: async (env) => {
        expectOk(
          "podman run -d",
          await env.cli([...run, "-d", "--name", "p1", img, "sh", "-c", SERVICE]),
        );
        await until(
          "the log line",
          async () => (await env.cli(["logs", "p1"])).stdout.includes("logged"),
        );
      },
    },
    {
      name: "exec runs a second process",
      run: async (env) => {
        expectOk("podman exec", await env.cli(["exec", "p1", "echo", "from-exec"]), "from-exec");
      },
    },
    {
      name: "exec -t gives the exec'd process a terminal",
      run: async (env) => {
        expectOk(
          "podman exec -t",
          await env.cli(["exec", "-t", "p1", "tty"], { tty: true }),
          "/dev/pts/",
        );
      },
    },
    {
      name: "top lists the container's processes",
      run: async (env) => {
        expectOk("podman top", await env.cli(["top", "p1"]), "sleep");
      },
    },
    {
      name: "pause and unpause",
      run: async (env) => {
        expectOk("podman pause", await env.cli(["pause", "p1"]));
        if (await state(env, "p1") !== "paused") throw new Error("not paused");
        expectOk("podman unpause", await env.cli(["unpause", "p1"]));
        if (await state(env, "p1") !== "running") throw new Error("not running after unpause");
      },
    },
    {
      name: "kill, stop and rm",
      run: async (env) => {
        expectOk(
          "podman run -d",
          await env.cli([...run, "-d", "--name", "p2", img, "sleep", "1000"]),
        );
        expectOk("podman kill", await env.cli(["kill", "p2"]));
        expectOk("podman stop", await env.cli(["stop", "-t", "2", "p1"]));
        if (await state(env, "p1") !== "exited") throw new Error("p1 not exited after stop");
        expectOk("podman rm", await env.cli(["rm", "p1", "p2"]));
      },
    },
    {
      name: "a missing command's error reaches the user (exit 127)",
      run: async (env) => {
        expectFail(
          "podman run /nonexistent",
          await env.cli([...run, "--rm", img, "/nonexistent"]),
          127,
          /nonexistent|no such file/i,
        );
      },
    },
  ];
}

/** The steps for one caller kind. */
export function stepsFor(kind: CallerEnv["kind"]): Step[] {
  return kind === "containerd"
    ? containerdSteps()
    : kind === "dockerd"
    ? dockerSteps()
    : podmanSteps();
}
