/**
 * `tsbox push` against a real docker-registry on 127.0.0.1: skopeo reads
 * the pushed image back with equal digests, tsbox pulls it into a fresh
 * root and runs it; cross-repository mounts; Docker schema 2 media types;
 * htpasswd auth; an interrupted chunked upload resumes.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type RunResult, tsbox, withRoot } from "../helpers/tsbox.ts";
import { makeBusyboxRootfs } from "../helpers/busybox.ts";
import {
  buildImage,
  layoutManifestDigest,
  sh,
  startRegistry,
  withTemp,
} from "../helpers/registry.ts";
import { seedImage } from "../run/_image.ts";
import { startCutProxy } from "./cut_proxy.ts";
import { pushImage as pushImagePlain } from "../../lib/registry/push.ts";
import { pathsFor } from "../../lib/paths.ts";

function mustPass(r: RunResult): RunResult {
  assert.equal(
    r.code,
    0,
    `expected success, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
  );
  return r;
}

/** The `TAG: digest: D size: N` line of a push. */
function pushedDigest(r: RunResult, tag: string): { digest: string; size: number } {
  const m = new RegExp(`^${tag}: digest: (sha256:[0-9a-f]{64}) size: (\\d+)$`, "m").exec(r.stdout);
  assert.ok(m, `no digest line in:\n${r.stdout}`);
  return { digest: m[1], size: Number(m[2]) };
}

async function skopeoDigest(ref: string, creds?: string): Promise<string> {
  const args = ["inspect", "--tls-verify=false", ...(creds ? ["--creds", creds] : [])];
  return JSON.parse(await sh("skopeo", [...args, `docker://${ref}`])).Digest;
}

Deno.test("push: skopeo reads the image back, a fresh root pulls and runs it", async () => {
  const reg = await startRegistry();
  try {
    await withTemp(async (tmp) => {
      const ref = `${reg.host}/tsbox/pushed:v1`;
      const first = join(tmp, "r1");
      Deno.mkdirSync(first);
      await seedImage(first, ref, { Cmd: ["cat", "/hello"] }, (d) => {
        Deno.writeTextFileSync(join(d, "hello"), "pushed by tsbox\n");
      });
      const r = await tsbox(first, ["push", ref]);
      mustPass(r);
      assert.match(
        r.stdout,
        new RegExp(`The push refers to repository \\[${reg.host}/tsbox/pushed\\]`),
      );
      assert.match(r.stdout, /: Pushed$/m);
      const { digest, size } = pushedDigest(r, "v1");
      assert.equal(await skopeoDigest(ref), digest);
      const raw = await sh("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${ref}`]);
      assert.equal(raw.length, size);
      assert.equal(JSON.parse(raw).mediaType, "application/vnd.oci.image.manifest.v1+json");

      const layout = join(tmp, "oci");
      await sh("skopeo", [
        "copy",
        "--quiet",
        "--src-tls-verify=false",
        "--preserve-digests",
        `docker://${ref}`,
        `oci:${layout}:x`,
      ]);
      assert.equal(layoutManifestDigest(layout, "x"), digest);

      // the repo digest is recorded like docker's RepoDigests
      const ins = JSON.parse((await tsbox(first, ["image", "inspect", ref])).stdout)[0];
      assert.ok(ins.RepoDigests.includes(`${reg.host}/tsbox/pushed@${digest}`), ins.RepoDigests);

      // pushing again: every layer is already there, same digest
      const again = await tsbox(first, ["push", ref]);
      mustPass(again);
      assert.match(again.stdout, /: Layer already exists$/m);
      assert.equal(pushedDigest(again, "v1").digest, digest);
      Deno.removeSync(first, { recursive: true });

      await withRoot(async (root) => {
        mustPass(await tsbox(root, ["pull", "-q", ref]));
        const run = await tsbox(root, ["run", "--rm", "--network", "none", ref]);
        mustPass(run);
        assert.equal(run.stdout, "pushed by tsbox\n");
      });
    });
  } finally {
    await reg.stop();
  }
});

Deno.test("push: a layer from another repository is mounted; Docker media types are kept", async () => {
  const reg = await startRegistry();
  try {
    await withTemp(async (tmp) => {
      const layout = join(tmp, "oci");
      await buildImage(layout, "v1", [{ kind: "edit", edit: makeBusyboxRootfs }]);
      const src = `${reg.host}/base/busybox:v1`;
      await sh("skopeo", [
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
        "--format",
        "v2s2",
        `oci:${layout}:v1`,
        `docker://${src}`,
      ]);
      await withRoot(async (root) => {
        mustPass(await tsbox(root, ["pull", "-q", src]));
        const dst = `${reg.host}/other/copy:v2`;
        mustPass(await tsbox(root, ["tag", src, dst]));
        const r = await tsbox(root, ["push", dst]);
        mustPass(r);
        assert.match(r.stdout, /: Mounted from base\/busybox$/m);
        const { digest } = pushedDigest(r, "v2");
        const raw = JSON.parse(
          await sh("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${dst}`]),
        );
        assert.equal(raw.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
        assert.equal(raw.config.mediaType, "application/vnd.docker.container.image.v1+json");
        assert.equal(raw.layers[0].mediaType, "application/vnd.docker.image.rootfs.diff.tar.gzip");
        assert.equal(await skopeoDigest(dst), digest);
        const srcRaw = JSON.parse(
          await sh("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${src}`]),
        );
        assert.deepEqual(raw.layers, srcRaw.layers, "same layer blobs");
        // a commit on a Docker-typed image stays Docker-typed, its base layers mounted
        mustPass(
          await tsbox(root, [
            "run",
            "--name",
            "mk",
            "--network",
            "none",
            src,
            "sh",
            "-c",
            "echo committed > /c",
          ]),
        );
        const committed = `${reg.host}/other/committed:v1`;
        mustPass(await tsbox(root, ["commit", "mk", committed]));
        const c = mustPass(await tsbox(root, ["push", committed]));
        assert.match(c.stdout, /: Mounted from (base\/busybox|other\/copy)$/m);
        assert.match(c.stdout, /: Pushed$/m);
        const cRaw = JSON.parse(
          await sh("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${committed}`]),
        );
        assert.equal(cRaw.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
        assert.equal(cRaw.layers.length, 2);
        assert.equal(cRaw.layers[1].mediaType, "application/vnd.docker.image.rootfs.diff.tar.gzip");
        await withRoot(async (fresh) => {
          mustPass(await tsbox(fresh, ["pull", "-q", committed]));
          const r = mustPass(
            await tsbox(fresh, ["run", "--rm", "--network", "none", committed, "cat", "/c"]),
          );
          assert.equal(r.stdout, "committed\n");
        });
      });
    });
  } finally {
    await reg.stop();
  }
});

Deno.test("push: htpasswd registry refuses without login (exit 1), works after it", async () => {
  const reg = await startRegistry({ auth: { user: "bob", password: "pw 1" } });
  try {
    await withRoot(async (root) => {
      const ref = `${reg.host}/private/img:v1`;
      await seedImage(root, ref);
      const denied = await tsbox(root, ["push", ref]);
      assert.equal(denied.code, 1, denied.stderr);
      assert.match(denied.stderr, /push access denied for 127\.0\.0\.1:\d+\/private\/img/);
      mustPass(
        await tsbox(root, ["login", "-u", "bob", "--password-stdin", reg.host], {
          stdin: "pw 1\n",
        }),
      );
      const r = await tsbox(root, ["push", ref]);
      mustPass(r);
      assert.equal(await skopeoDigest(ref, "bob:pw 1"), pushedDigest(r, "v1").digest);
    });
  } finally {
    await reg.stop();
  }
});

Deno.test("push: an upload cut mid-way resumes from the registry's Range", async () => {
  const reg = await startRegistry();
  const proxy = startCutProxy(reg.port, 0);
  try {
    await withRoot(async (root) => {
      const ref = `${proxy.host}/cut/img:v1`;
      const random = new Uint8Array(1024 * 1024);
      for (let i = 0; i < random.length; i += 65536) {
        crypto.getRandomValues(random.subarray(i, i + 65536));
      }
      await seedImage(root, ref, {}, (d) => Deno.writeFileSync(join(d, "random.bin"), random));
      // the 5th chunk never reaches the registry, which then looks down for 2 more tries
      proxy.dropRequest = /^PATCH [^\n]*\r\n(?:[^\n]*\r\n)*content-range: 262144-/i;
      proxy.refuseLeft = 2;
      const r = await tsbox(root, ["push", ref], { env: { TSBOX_PUSH_CHUNK_SIZE: "65536" } });
      mustPass(r);
      assert.equal(proxy.cuts, 1, "one chunk was dropped");
      const heads = proxy.requests.filter((h) => /^(GET|PATCH|PUT|POST|HEAD) /.test(h));
      const cutAt = heads.findIndex((h, i) =>
        i > 0 && /^GET \/v2\/cut\/img\/blobs\/uploads\//.test(h)
      );
      assert.ok(cutAt > 0, `a GET of the upload URL asked where to resume:\n${heads.join("\n")}`);
      const ranges = heads.filter((h) => h.startsWith("PATCH")).map((h) =>
        /content-range: (\d+)-/i.exec(h)?.[1]
      );
      assert.equal(ranges.filter((s) => s === "0").length, 1, "the upload did not start over");
      assert.ok(ranges.includes("262144"), "the dropped chunk was sent again");
      assert.match(r.stdout, /Retrying in \d+ seconds/);
      const { digest } = pushedDigest(r, "v1");
      assert.equal(await skopeoDigest(`${reg.host}/cut/img:v1`), digest);
      const layout = join(root, "oci-out");
      await sh("skopeo", [
        "copy",
        "--quiet",
        "--src-tls-verify=false",
        "--preserve-digests",
        `docker://${reg.host}/cut/img:v1`,
        `oci:${layout}:x`,
      ]);
      assert.equal(layoutManifestDigest(layout, "x"), digest);
    });
  } finally {
    await proxy.stop();
    await reg.stop();
  }
});

Deno.test("push: untyped layers of a loaded docker-archive go up as an OCI image", async () => {
  const reg = await startRegistry();
  try {
    await withTemp(async (tmp) => {
      const ref = `${reg.host}/arch/img:v1`;
      const first = join(tmp, "r1");
      Deno.mkdirSync(first);
      await seedImage(
        first,
        ref,
        { Cmd: ["cat", "/a"] },
        (d) => Deno.writeTextFileSync(join(d, "a"), "A\n"),
      );
      mustPass(await tsbox(first, ["save", "-o", join(tmp, "img.tar"), ref]));
      await withRoot(async (root) => {
        mustPass(await tsbox(root, ["load", "-i", join(tmp, "img.tar")]));
        const r = mustPass(await tsbox(root, ["push", ref]));
        const raw = JSON.parse(
          await sh("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${ref}`]),
        );
        assert.equal(raw.mediaType, "application/vnd.oci.image.manifest.v1+json");
        assert.equal(raw.layers[0].mediaType, "application/vnd.oci.image.layer.v1.tar");
        assert.equal(await skopeoDigest(ref), pushedDigest(r, "v1").digest);
      });
      Deno.removeSync(first, { recursive: true });
      await withRoot(async (root) => {
        mustPass(await tsbox(root, ["pull", "-q", ref]));
        assert.equal(
          mustPass(await tsbox(root, ["run", "--rm", "--network", "none", ref])).stdout,
          "A\n",
        );
      });
    });
  } finally {
    await reg.stop();
  }
});

Deno.test("push: no tag means latest; -a pushes every tag of the repository", async () => {
  const reg = await startRegistry();
  try {
    await withRoot(async (root) => {
      const repo = `${reg.host}/multi/img`;
      await seedImage(root, `${repo}:one`);
      mustPass(await tsbox(root, ["tag", `${repo}:one`, `${repo}:two`]));
      mustPass(await tsbox(root, ["tag", `${repo}:one`, `${repo}:latest`]));
      const tags = async () =>
        JSON.parse(await sh("skopeo", ["list-tags", "--tls-verify=false", `docker://${repo}`]))
          .Tags.sort();
      const plain = mustPass(await tsbox(root, ["push", repo]));
      assert.match(plain.stdout, /^Using default tag: latest$/m);
      assert.deepEqual(await tags(), ["latest"]);
      const all = mustPass(await tsbox(root, ["push", "-a", repo]));
      assert.doesNotMatch(all.stdout, /Using default tag/);
      assert.equal(all.stdout.match(/: digest: /g)?.length, 3);
      assert.deepEqual(await tags(), ["latest", "one", "two"]);
      const bad = await tsbox(root, ["push", "-a", `${repo}:one`]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /tag can't be used with --all-tags\/-a/);
    });
  } finally {
    await reg.stop();
  }
});

Deno.test("push: a monolithic upload lost on the way starts a new upload session", async () => {
  const reg = await startRegistry();
  const proxy = startCutProxy(reg.port, 0);
  try {
    await withRoot(async (root) => {
      const ref = `${proxy.host}/mono/img:v1`;
      await seedImage(root, ref);
      proxy.dropRequest = /^PUT \/v2\/mono\/img\/blobs\/uploads\/[^\n]*digest=/;
      proxy.refuseLeft = 1;
      const r = mustPass(await tsbox(root, ["push", ref]));
      assert.equal(proxy.cuts, 1, "one upload was dropped");
      const posts = proxy.requests.filter((h) => h.startsWith("POST /v2/mono/img/blobs/uploads/"));
      assert.equal(posts.length, 3, "layer, config and one fresh session for the dropped PUT");
      assert.equal(await skopeoDigest(`${reg.host}/mono/img:v1`), pushedDigest(r, "v1").digest);
    });
  } finally {
    await proxy.stop();
    await reg.stop();
  }
});

Deno.test("push: bad input exits 1 and sends nothing", async () => {
  await withRoot(async (root) => {
    const cases: [string[], RegExp][] = [
      [["push"], /requires exactly 1 argument/],
      [
        ["push", "127.0.0.1:1/none:v1"],
        /An image does not exist locally with the tag: 127\.0\.0\.1:1\/none:v1/,
      ],
      [["push", "UPPER/case"], /invalid reference format/],
      [["push", "--platform", "linux/nope/x/y", "a:b"], /platform/],
    ];
    for (const [args, re] of cases) {
      const r = await tsbox(root, args);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
  });
});

/**
 * A token service + registry front: `/token` grants `tok:<scopes joined by space>`
 * (only with bob:pw), `/v2/<repo>/…` demands a token naming the repo with
 * `push` for writes (and `pull` on the `from` repo of a mount), then proxies.
 */
function startPushTokenFront(backendPort: number) {
  const seen: string[] = [];
  const ac = new AbortController();
  let port = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/token") {
        const scopes = url.searchParams.getAll("scope");
        const auth = req.headers.get("authorization");
        seen.push(`token ${scopes.join(" ")} ${auth ? "with-creds" : "anonymous"}`);
        if (auth !== `Basic ${btoa("bob:pw")}`) return new Response("denied", { status: 401 });
        return new Response(JSON.stringify({ token: `tok:${scopes.join(" ")}` }));
      }
      const m = /^\/v2\/(.+?)\/(manifests|blobs)\//.exec(url.pathname);
      const granted = (req.headers.get("authorization") ?? "").replace(/^Bearer tok:/, "").split(
        " ",
      );
      const write = req.method !== "GET" && req.method !== "HEAD";
      const from = url.searchParams.get("from");
      const need = m
        ? [
          `repository:${m[1]}:${write ? "pull,push" : "pull"}`,
          ...(from ? [`repository:${from}:pull`] : []),
        ]
        : [];
      const ok = m ? need.every((n) => granted.includes(n)) : req.headers.has("authorization");
      if (!ok) {
        await req.body?.cancel();
        return new Response(
          '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
          {
            status: 401,
            headers: {
              "www-authenticate": `Bearer realm="http://127.0.0.1:${port}/token",service="t"${
                m ? `,scope="${need[0]}"` : ""
              }`,
            },
          },
        );
      }
      const headers = new Headers(req.headers);
      headers.delete("authorization");
      return await fetch(`http://127.0.0.1:${backendPort}${url.pathname}${url.search}`, {
        method: req.method,
        headers,
        body: req.body,
        redirect: "manual",
      });
    },
  );
  port = server.addr.port;
  return { host: `127.0.0.1:${port}`, seen, stop: async () => (ac.abort(), await server.finished) };
}

Deno.test("push: Bearer tokens with push scope, and pull scope on the mount source", async () => {
  const reg = await startRegistry();
  const front = startPushTokenFront(reg.port);
  try {
    await withRoot(async (root) => {
      const a = `${front.host}/team/a:v1`;
      await seedImage(root, a);
      const denied = await tsbox(root, ["push", a]);
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /requires authentication|access denied/);
      mustPass(
        await tsbox(root, ["login", "-u", "bob", "--password-stdin", front.host], { stdin: "pw" }),
      );
      front.seen.length = 0;
      const r = mustPass(await tsbox(root, ["push", a]));
      assert.ok(
        front.seen.includes("token repository:team/a:pull,push with-creds"),
        front.seen.join("\n"),
      );
      // pull it back through the front so the store knows team/a holds the layer, then mount it
      mustPass(await tsbox(root, ["rmi", a]));
      mustPass(await tsbox(root, ["pull", "-q", a]));
      const b = `${front.host}/team/b:v1`;
      mustPass(await tsbox(root, ["tag", a, b]));
      front.seen.length = 0;
      const m = mustPass(await tsbox(root, ["push", b]));
      assert.match(m.stdout, /: Mounted from team\/a$/m);
      assert.ok(
        front.seen.includes("token repository:team/b:pull,push repository:team/a:pull with-creds"),
        front.seen.join("\n"),
      );
      assert.equal(pushedDigest(m, "v1").digest, pushedDigest(r, "v1").digest);
      assert.equal(await skopeoDigest(`${reg.host}/team/b:v1`), pushedDigest(m, "v1").digest);
    });
  } finally {
    await front.stop();
    await reg.stop();
  }
});

Deno.test("push: redrawn progress bars with sizes on a terminal", async () => {
  const reg = await startRegistry();
  try {
    await withRoot(async (root) => {
      const ref = `${reg.host}/tty/img:v1`;
      await seedImage(
        root,
        ref,
        {},
        (d) => Deno.writeFileSync(join(d, "zeros"), new Uint8Array(300_000)),
      );
      let text = "";
      const tty = {
        writeSync: (b: Uint8Array) => (text += new TextDecoder().decode(b), b.length),
        isTerminal: () => true,
      };
      const r = await pushImagePlain(pathsFor(root), ref, { output: tty, chunkSize: 65536 });
      const esc = String.fromCharCode(27);
      assert.ok(new RegExp(`${esc}\\[\\d+A`).test(text), "cursor moves up to redraw");
      assert.match(text, /: Pushing \[=*>? *\] [\d.]+[kM]B\/[\d.]+[kM]B/);
      assert.match(text, /: Pushed/);
      assert.match(text, new RegExp(`v1: digest: ${r.digest} size: ${r.size}`));
    });
  } finally {
    await reg.stop();
  }
});
