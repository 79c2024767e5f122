/**
 * `tsbox build` end to end in a fresh root from a busybox base: a
 * multi-stage Dockerfile with every supported instruction gives the config
 * and file tree it says (files checked by running the image); a rebuild is
 * all CACHED and gives the same image; changing one copied file rebuilds
 * from that step on; `.dockerignore` is honoured; a failing RUN names its
 * line and exit code and leaves no image tagged, no container and no
 * intermediate image; `--target`, `-q`, bad input.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type RunResult, tsbox, tsboxArgv, withRoot } from "../helpers/tsbox.ts";
import { seedImage } from "../run/_image.ts";
import { hostArchitecture } from "../../lib/image/config.ts";

function mustPass(r: RunResult, what = ""): RunResult {
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

const DOCKERFILE = `# syntax=docker/dockerfile:1
# escape=\\
ARG BASE=busybox
ARG GREETING=hello

# the first stage: its files reach the result only through COPY --from
FROM \${BASE} AS builder
ARG GREETING
ARG EXTRA=dflt
WORKDIR /src
COPY src/ ./
COPY *.txt ./txt/
RUN echo "$GREETING $EXTRA" > /src/greeting \\
 # a comment inside a continuation
 && mkdir -p /out \\
 && cat /src/main.c > /out/main.copy
RUN ["/bin/sh", "-c", "echo exec-form > /out/exec"]

FROM busybox AS unused
RUN exit 9

FROM --platform=linux/amd64 busybox AS final
MAINTAINER Ann <ann@example.com>
LABEL org.example.name="tsbox test" version=1.0
ENV APP_HOME=/app \\
    MSG="with space"
ENV DERIVED=\${APP_HOME}/bin UNSET=\${NOPE:-fallback} SETP=\${APP_HOME:+yes}
WORKDIR $APP_HOME
COPY --from=builder /out/ ./out/
COPY --from=0 --chown=1000:1000 /src/greeting greeting.txt
COPY --chmod=0600 conf/secret.conf /etc/app/
COPY . /ctx/
ADD archive.tar.gz /opt/
ADD plain.txt /opt/plain-added.txt
SHELL ["/bin/sh", "-e", "-c"]
RUN echo "shell=$0 derived=$DERIVED" > /app/run.txt
USER 1000
EXPOSE 8080 53/udp
VOLUME ["/data"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD wget -q -O- http://localhost:8080/ || exit 1
ONBUILD RUN echo triggered
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/greeting.txt"]
`;

/** Write the context: the Dockerfile, sources, a tar.gz, and files .dockerignore drops. */
async function makeContext(dir: string): Promise<void> {
  const w = (rel: string, text: string) => {
    Deno.mkdirSync(join(dir, rel, ".."), { recursive: true });
    Deno.writeTextFileSync(join(dir, rel), text);
  };
  w("Dockerfile", DOCKERFILE);
  w("src/main.c", "int main(void) { return 0; }\n");
  w("src/sub/x.h", "#define X 1\n");
  w("a.txt", "A\n");
  w("b.txt", "B\n");
  w("conf/secret.conf", "secret=1\n");
  w("plain.txt", "plain\n");
  w("ignored.log", "no\n");
  w("keep.log", "yes\n");
  w("node_modules/junk/index.js", "no\n");
  w("deep/a/b/c.tmp", "no\n");
  w("deep/a/b/ok.txt", "ok\n");
  w(".dockerignore", "# comment\n*.log\n!keep.log\nnode_modules\n**/*.tmp\n");
  const arch = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(join(arch, "dir"));
    Deno.writeTextFileSync(join(arch, "dir/inner.txt"), "inner\n");
    const out = await new Deno.Command("tar", {
      args: ["-czf", join(dir, "archive.tar.gz"), "-C", arch, "dir"],
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  } finally {
    Deno.removeSync(arch, { recursive: true });
  }
}

/** `#N [..] INSTR` lines with whether the step was CACHED, in order. */
function steps(stderr: string): { instr: string; cached: boolean }[] {
  const lines = stderr.split("\n");
  const out: { instr: string; cached: boolean }[] = [];
  for (const l of lines) {
    const m = /^#(\d+) \[[^\]]+\] (.*)$/.exec(l);
    if (m) out.push({ instr: m[2], cached: lines.includes(`#${m[1]} CACHED`) });
  }
  return out;
}

async function inspect(root: string, ref: string) {
  return JSON.parse(mustPass(await tsbox(root, ["image", "inspect", ref]), "inspect").stdout)[0];
}

async function sh(root: string, image: string, script: string): Promise<string> {
  const r = await tsbox(root, [
    "run",
    "--rm",
    "-u",
    "0",
    "--entrypoint",
    "/bin/sh",
    image,
    "-c",
    script,
  ]);
  return mustPass(r, `run ${script}`).stdout;
}

async function withContext(fn: (root: string, ctx: string) => Promise<void>): Promise<void> {
  await withRoot(async (root) => {
    const ctx = Deno.makeTempDirSync({ prefix: "tsbox-build-ctx-" });
    try {
      await seedImage(root);
      await makeContext(ctx);
      await fn(root, ctx);
    } finally {
      Deno.removeSync(ctx, { recursive: true });
    }
  });
}

function listDir(root: string, sub: string): string[] {
  try {
    return [...Deno.readDirSync(join(root, sub))].map((e) => e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

Deno.test("build: a multi-stage Dockerfile gives the config and files it says; a rebuild is all CACHED", async () => {
  await withContext(async (root, ctx) => {
    const b = mustPass(
      await tsbox(root, [
        "build",
        "-t",
        "app:1",
        "--build-arg",
        "EXTRA=given",
        "--progress",
        "plain",
        ctx,
      ]),
      "build",
    );
    assert.ok(!b.stderr.includes("exit 9"), "the unused stage is not built");
    const img = await inspect(root, "app:1");
    const c = img.Config;
    assert.ok(c.Env.includes("APP_HOME=/app"));
    assert.ok(c.Env.includes("MSG=with space"));
    assert.ok(c.Env.includes("DERIVED=/app/bin"));
    assert.ok(c.Env.includes("UNSET=fallback"));
    assert.ok(c.Env.includes("SETP=yes"));
    assert.ok(!c.Env.some((e: string) => e.startsWith("EXTRA=") || e.startsWith("GREETING=")));
    assert.deepEqual(c.Entrypoint, ["/bin/sh", "-c"]);
    assert.deepEqual(c.Cmd, ["cat /app/greeting.txt"]);
    assert.equal(c.WorkingDir, "/app");
    assert.equal(c.User, "1000");
    assert.deepEqual(c.ExposedPorts, { "8080/tcp": {}, "53/udp": {} });
    assert.deepEqual(c.Volumes, { "/data": {} });
    assert.deepEqual(c.Labels, { "org.example.name": "tsbox test", version: "1.0" });
    assert.equal(c.StopSignal, "SIGTERM");
    assert.deepEqual(c.Healthcheck, {
      Test: ["CMD-SHELL", "wget -q -O- http://localhost:8080/ || exit 1"],
      Interval: 30e9,
      Timeout: 5e9,
      Retries: 3,
    });
    assert.deepEqual(c.OnBuild, ["RUN echo triggered"]);
    assert.deepEqual(c.Shell, ["/bin/sh", "-e", "-c"]);
    assert.equal(img.Author, "Ann <ann@example.com>");
    // 1 busybox layer + 6 COPY/ADD + 1 RUN of the final stage
    assert.equal(img.RootFS.Layers.length, 8);
    const hist = mustPass(await tsbox(root, ["history", "--no-trunc", "app:1"])).stdout;
    assert.match(hist, /ENV APP_HOME=\/app MSG=with space/);

    // the file tree, seen from inside the image
    const r = await tsbox(root, ["run", "--rm", "app:1"]);
    assert.equal(mustPass(r).stdout, "hello given\n", "CMD through ENTRYPOINT; ARG + --build-arg");
    assert.equal(
      await sh(root, "app:1", "cat /app/out/main.copy /app/out/exec /app/run.txt"),
      "int main(void) { return 0; }\nexec-form\nshell=/bin/sh derived=/app/bin\n",
    );
    assert.equal(
      await sh(
        root,
        "app:1",
        "stat -c '%u:%g %a' /app/greeting.txt /etc/app/secret.conf /ctx /etc",
      ),
      "1000:1000 644\n0:0 600\n0:0 755\n0:0 755\n",
      "--chown, --chmod; a directory source's own mode (the context is 0700) is not copied",
    );
    assert.equal(
      await sh(
        root,
        "app:1",
        "cat /opt/dir/inner.txt /opt/plain-added.txt; test ! -e /src && echo no-src",
      ),
      "inner\nplain\nno-src\n",
    );
    assert.equal(
      await sh(root, "app:1", "cd /ctx && find . -type f | sort"),
      [
        "./.dockerignore",
        "./Dockerfile",
        "./a.txt",
        "./archive.tar.gz",
        "./b.txt",
        "./conf/secret.conf",
        "./deep/a/b/ok.txt",
        "./keep.log",
        "./plain.txt",
        "./src/main.c",
        "./src/sub/x.h",
      ].join("\n") + "\n",
      ".dockerignore: *.log except keep.log, node_modules, **/*.tmp",
    );

    // nothing left behind: no containers, no intermediate images
    assert.deepEqual(listDir(root, "containers").filter((n) => !n.startsWith(".")), []);
    const images = mustPass(await tsbox(root, ["images", "-q"])).stdout.trim().split("\n");
    assert.equal(images.length, 2, `only busybox and app:1 stay: ${images}`);

    // a rebuild: every RUN/COPY/ADD step CACHED, the same image
    const again = mustPass(
      await tsbox(root, ["build", "-t", "app:2", "--build-arg", "EXTRA=given", ctx]),
      "rebuild",
    );
    const s = steps(again.stderr).filter((x) => /^(RUN|COPY|ADD)/.test(x.instr));
    assert.equal(s.length, 11);
    assert.deepEqual(s.filter((x) => !x.cached), [], again.stderr);
    assert.equal((await inspect(root, "app:2")).Id, img.Id);
  });
});

Deno.test("build: changing one copied file rebuilds from that step on", async () => {
  await withContext(async (root, ctx) => {
    mustPass(await tsbox(root, ["build", "-t", "app", ctx]), "build");
    Deno.writeTextFileSync(join(ctx, "conf/secret.conf"), "secret=2\n");
    const r = mustPass(await tsbox(root, ["build", "-t", "app", ctx]), "rebuild");
    const s = steps(r.stderr).filter((x) => /^(RUN|COPY|ADD)/.test(x.instr));
    const at = s.findIndex((x) => x.instr.startsWith("COPY --chmod=0600 conf/secret.conf"));
    assert.ok(at > 0, r.stderr);
    assert.ok(
      s.slice(0, at).every((x) => x.cached),
      `steps before the change are CACHED:\n${r.stderr}`,
    );
    assert.ok(
      s.slice(at).every((x) => !x.cached),
      `the change and later steps rebuild:\n${r.stderr}`,
    );
    assert.equal(await sh(root, "app", "cat /etc/app/secret.conf"), "secret=2\n");
    // a changed metadata instruction is not answered from the cache
    const df = Deno.readTextFileSync(join(ctx, "Dockerfile"));
    Deno.writeTextFileSync(join(ctx, "Dockerfile"), df.replace("--interval=30s", "--interval=45s"));
    mustPass(await tsbox(root, ["build", "-t", "app", ctx]), "rebuild with a new HEALTHCHECK");
    assert.equal((await inspect(root, "app")).Config.Healthcheck.Interval, 45e9);
    // --no-cache rebuilds everything
    const n = mustPass(await tsbox(root, ["build", "--no-cache", "-t", "app", ctx]), "no-cache");
    assert.ok(steps(n.stderr).every((x) => !x.cached), n.stderr);
  });
});

Deno.test("build: a failing RUN names its line and exit code, tags nothing, leaves nothing", async () => {
  await withContext(async (root, ctx) => {
    Deno.writeTextFileSync(
      join(ctx, "Dockerfile"),
      "FROM busybox\nCOPY a.txt /a.txt\n\nRUN echo before && exit 7\nRUN echo never\n",
    );
    const r = await tsbox(root, ["build", "-t", "bad", ctx]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /tsbox: Dockerfile:4: RUN echo before && exit 7: .*exit code: 7/);
    assert.match(r.stderr, /#\d+ before/);
    assert.ok(!r.stderr.includes("never"));
    const images = mustPass(await tsbox(root, ["images", "--format", "{{.Repository}}"])).stdout;
    assert.equal(images.trim(), "busybox", "no image tagged and no intermediate image left");
    assert.deepEqual(listDir(root, "containers").filter((n) => !n.startsWith(".")), []);
    assert.deepEqual(mustPass(await tsbox(root, ["ps", "-aq"])).stdout, "");
  });
});

Deno.test("build: --target builds a named stage; -q prints only the id", async () => {
  await withContext(async (root, ctx) => {
    const r = mustPass(await tsbox(root, ["build", "-q", "--target", "builder", "-t", "b", ctx]));
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(r.stderr, "");
    assert.equal((await inspect(root, "b")).Id, r.stdout.trim());
    assert.equal(
      await sh(root, "b", "cat /src/greeting; ls /src/txt"),
      "hello dflt\na.txt\nb.txt\nplain.txt\n",
    );
  });
});

Deno.test("build: bad input is one line naming the Dockerfile line, exit 1", async () => {
  await withContext(async (root, ctx) => {
    const cases: [string, RegExp][] = [
      ["FROM busybox\nFOO bar\n", /Dockerfile:2: unknown instruction: FOO/],
      ["RUN true\n", /Dockerfile:1: no build stage in current context/],
      ["FROM busybox\nCOPY missing.txt /x\n", /Dockerfile:2: COPY: "missing.txt": not found/],
      ["FROM busybox\nCOPY ignored.log /x\n", /Dockerfile:2: COPY: "ignored.log": not found/],
      [
        "FROM busybox\nCOPY a.txt b.txt /x\n",
        /Dockerfile:2: COPY: When using COPY with more than one source file/,
      ],
      [
        "FROM busybox\nADD http://example.com/f /f\n",
        /Dockerfile:2: ADD: ADD from a URL is not supported/,
      ],
      ["FROM busybox\nEXPOSE 80/xyz\n", /Dockerfile:2: EXPOSE: invalid containerPort: 80\/xyz/],
      [
        "FROM busybox\nCOPY --chown=nobody-here a.txt /x\n",
        /Dockerfile:2: COPY: unable to find user nobody-here/,
      ],
      ["FROM busybox AS a b\n", /Dockerfile:1: FROM requires either one or three arguments/],
      [
        "FROM busybox\nRUN --mount=type=cache,target=/c true\n",
        /Dockerfile:2: RUN --mount is not supported/,
      ],
      ["FROM --platform=linux/s390x busybox\n", /Dockerfile:1: FROM: only linux\/\w+ images/],
    ];
    for (const [text, re] of cases) {
      Deno.writeTextFileSync(join(ctx, "Dockerfile"), text);
      const r = await tsbox(root, ["build", "-t", "x", ctx]);
      assert.equal(r.code, 1, `${text}: ${r.stderr}`);
      assert.match(r.stderr, re, text);
      assert.equal(r.stderr.split("\n").filter((l) => l.startsWith("tsbox:")).length, 1, r.stderr);
    }
    const t = await tsbox(root, ["build", "--target", "nope", ctx]);
    assert.equal(t.code, 1);
    const images = mustPass(await tsbox(root, ["images", "--format", "{{.Repository}}"])).stdout;
    assert.equal(images.trim(), "busybox");
  });
});

Deno.test("build: RUN has the secure defaults and no network; TARGETARCH; ONBUILD triggers run in the child; COPY --from an image", async () => {
  await withContext(async (root, ctx) => {
    Deno.writeTextFileSync(
      join(ctx, "Dockerfile"),
      [
        "FROM busybox",
        "RUN grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status > /sec.txt; ls /sys/class/net > /net.txt",
        "ARG TARGETARCH",
        "RUN echo $TARGETARCH > /arch.txt",
        "ONBUILD RUN echo triggered > /onbuild.txt",
        "ONBUILD COPY a.txt /from-trigger.txt",
        "",
      ].join("\n"),
    );
    mustPass(await tsbox(root, ["build", "-t", "parent", ctx]), "parent");
    const sec = await sh(root, "parent", "cat /sec.txt /net.txt");
    assert.match(sec, /CapEff:\s+00000000a80425fb/, "docker's default capabilities");
    assert.match(sec, /Seccomp:\s+2/, "a seccomp filter");
    assert.match(sec, /\nlo\n$/, "--network none: only lo");
    assert.ok(!/eth0/.test(sec));
    assert.equal((await inspect(root, "parent")).Config.OnBuild.length, 2);
    assert.equal(
      await sh(root, "parent", "cat /arch.txt"),
      `${hostArchitecture()}\n`,
      "BuildKit's TARGETARCH",
    );

    Deno.writeTextFileSync(
      join(ctx, "Dockerfile"),
      "FROM parent\nCOPY --from=busybox /bin/busybox /copied-busybox\nRUN test -x /copied-busybox\n",
    );
    const r = mustPass(await tsbox(root, ["build", "-t", "child", ctx]), "child");
    assert.match(r.stderr, /RUN echo triggered > \/onbuild.txt/);
    assert.equal(
      await sh(root, "child", "cat /onbuild.txt /from-trigger.txt"),
      "triggered\nA\n",
    );
    assert.equal((await inspect(root, "child")).Config.OnBuild, null, "triggers are not inherited");
  });
});

Deno.test("builder prune: the cache keeps content after rmi until pruned; then a build starts cold", async () => {
  await withContext(async (root, ctx) => {
    Deno.writeTextFileSync(
      join(ctx, "Dockerfile"),
      "FROM busybox\nCOPY a.txt /a\nRUN echo x > /x\n",
    );
    const blobs = () =>
      listDir(root, "image/blobs/sha256").filter((n) => !n.startsWith(".")).length;
    const before = blobs();
    mustPass(await tsbox(root, ["build", "-t", "p", ctx]), "build");
    mustPass(await tsbox(root, ["rmi", "p"]), "rmi");
    assert.ok(blobs() > before, "the build cache keeps the step content");
    const again = mustPass(await tsbox(root, ["build", "-t", "p", ctx]), "rebuild");
    assert.ok(steps(again.stderr).slice(1).every((s) => s.cached), again.stderr);
    mustPass(await tsbox(root, ["rmi", "p"]), "rmi");
    const r = mustPass(await tsbox(root, ["builder", "prune", "-f"]), "prune");
    assert.match(r.stdout, /Deleted build cache objects: [1-9]/);
    assert.equal(blobs(), before, "only the base image's blobs stay");
    const cold = mustPass(await tsbox(root, ["build", "-t", "p", ctx]), "cold");
    assert.ok(steps(cold.stderr).every((s) => !s.cached), cold.stderr);
  });
});

Deno.test("build: SIGINT during a RUN kills it and leaves no container, no image, no tag", async () => {
  await withContext(async (root, ctx) => {
    Deno.writeTextFileSync(
      join(ctx, "Dockerfile"),
      "FROM busybox\nCOPY a.txt /a\nRUN echo started && sleep 600\nRUN echo never\n",
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: tsboxArgv(root, ["build", "-t", "int", ctx]),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let stderr = "";
    const dec = new TextDecoder();
    const reader = child.stderr.getReader();
    try {
      // the RUN is running once its first output line is shown
      while (!/#\d+ started\n/.test(stderr)) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += dec.decode(value, { stream: true });
      }
      assert.match(stderr, /#\d+ started/);
      child.kill("SIGINT");
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += dec.decode(value, { stream: true });
      }
    } finally {
      reader.releaseLock();
      await child.stdout.cancel();
    }
    const status = await child.status;
    assert.equal(status.code, 1, stderr);
    assert.match(
      stderr,
      /tsbox: Dockerfile:3: RUN echo started && sleep 600: the build was interrupted/,
    );
    assert.ok(!stderr.includes("never"));
    assert.deepEqual(listDir(root, "containers").filter((n) => !n.startsWith(".")), []);
    const images = mustPass(await tsbox(root, ["images", "--format", "{{.Repository}}"])).stdout;
    assert.equal(images.trim(), "busybox");
  });
});
