/**
 * Registry auth: Basic (a real docker-registry with htpasswd) through
 * `login`/`logout`, and Bearer tokens (anonymous and with credentials) from
 * a small token service that fronts an open registry.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { makeBusyboxRootfs } from "../helpers/busybox.ts";
import { buildImage, pushImage, startRegistry, withTemp } from "../helpers/registry.ts";

/** A one-layer image pushed to `dest` (skopeo, optional creds). */
async function pushSmallImage(dest: string, creds?: string): Promise<void> {
  await withTemp(async (tmp) => {
    const layout = join(tmp, "oci");
    await buildImage(layout, "v1", [{ kind: "edit", edit: makeBusyboxRootfs }]);
    await pushImage(layout, "v1", dest, { creds });
  });
}

Deno.test("login: Basic-auth registry works after login, fails clearly without it", async () => {
  const reg = await startRegistry({ auth: { user: "alice", password: "s3cret pass" } });
  try {
    await pushSmallImage(`${reg.host}/private/img:v1`, "alice:s3cret pass");
    await withRoot(async (root) => {
      const ref = `${reg.host}/private/img:v1`;
      const denied = await tsbox(root, ["pull", ref]);
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /pull access denied for 127\.0\.0\.1:\d+\/private\/img/);
      assert.match(denied.stderr, new RegExp(`hint: tsbox login ${reg.host}`));

      const wrong = await tsbox(root, ["login", "-u", "alice", "--password-stdin", reg.host], {
        stdin: "nope\n",
      });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /incorrect username or password/);
      assert.throws(
        () => Deno.statSync(join(root, "auth.json")),
        Deno.errors.NotFound,
        "nothing saved",
      );

      const ok = await tsbox(root, ["login", "-u", "alice", "--password-stdin", reg.host], {
        stdin: "s3cret pass\n",
      });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /Login Succeeded/);
      const st = Deno.statSync(join(root, "auth.json"));
      assert.equal(st.mode! & 0o777, 0o600);
      const saved = JSON.parse(Deno.readTextFileSync(join(root, "auth.json")));
      assert.equal(atob(saved.auths[reg.host].auth), "alice:s3cret pass");

      const pulled = await tsbox(root, ["pull", "-q", ref]);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.equal(pulled.stdout.trim(), ref);

      const out = await tsbox(root, ["logout", reg.host]);
      assert.equal(out.code, 0);
      assert.match(out.stdout, new RegExp(`Removing login credentials for ${reg.host}`));
      assert.deepEqual(JSON.parse(Deno.readTextFileSync(join(root, "auth.json"))).auths, {});
      const again = await tsbox(root, ["pull", `${reg.host}/private/img:v1`]);
      assert.equal(again.code, 1, "credentials are gone");
      assert.match((await tsbox(root, ["logout", reg.host])).stdout, /Not logged in/);
    });
  } finally {
    await reg.stop();
  }
});

Deno.test("login: bad usage exits 1 without saving anything", async () => {
  await withRoot(async (root) => {
    const cases: [string[], RegExp, string?][] = [
      [["login", "--password-stdin", "localhost:5000"], /must provide --username/, "x"],
      [
        ["login", "-u", "a", "-p", "b", "--password-stdin", "localhost:5000"],
        /mutually exclusive/,
        "x",
      ],
      [["login", "localhost:5000"], /non TTY/],
      [["login", "-u", "a", "--password-stdin", "bad host!"], /invalid registry server/, "x"],
      [["login", "a", "b"], /at most 1 argument/],
    ];
    for (const [args, re, stdin] of cases) {
      const r = await tsbox(root, args, stdin === undefined ? {} : { stdin });
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(" "));
    }
    assert.deepEqual([...Deno.readDirSync(root)], []);
  });
});

/**
 * A token service + registry front on one port: `/token` hands out
 * `tok:<scope>` (private repos only with alice:pw), `/v2/*` demands the token
 * for the repo in the path and proxies to the open registry behind it.
 */
function startTokenFront(backendPort: number) {
  const seen: string[] = [];
  const ac = new AbortController();
  let port = 0;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: () => {},
  }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/token") {
      const scope = url.searchParams.get("scope") ?? "";
      const auth = req.headers.get("authorization");
      seen.push(
        `token ${scope} ${auth ? "with-creds" : "anonymous"} service=${
          url.searchParams.get("service")
        }`,
      );
      if (auth && auth !== `Basic ${btoa("alice:pw")}`) {
        return new Response("bad creds", { status: 401 });
      }
      if (scope.includes("private/") && !auth) {
        return new Response(JSON.stringify({ token: "tok:none" }));
      }
      return new Response(JSON.stringify({ token: `tok:${scope}` }));
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\//.exec(url.pathname);
    const want = m ? `Bearer tok:repository:${m[1]}:pull` : undefined;
    const ok = m
      ? req.headers.get("authorization") === want
      : req.headers.get("authorization")?.startsWith("Bearer tok:");
    if (!ok) {
      const scope = m ? `,scope="repository:${m[1]}:pull"` : "";
      return new Response(
        '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
        {
          status: 401,
          headers: {
            "www-authenticate":
              `Bearer realm="http://127.0.0.1:${port}/token",service="test-registry"${scope}`,
          },
        },
      );
    }
    const headers = new Headers(req.headers);
    headers.delete("authorization");
    return await fetch(`http://127.0.0.1:${backendPort}${url.pathname}${url.search}`, {
      headers,
      redirect: "manual",
    });
  });
  port = server.addr.port;
  return { host: `127.0.0.1:${port}`, seen, stop: async () => (ac.abort(), await server.finished) };
}

Deno.test("pull: Bearer token auth, anonymous for public repos and with login for private ones", async () => {
  const reg = await startRegistry();
  const front = startTokenFront(reg.port);
  try {
    await pushSmallImage(`${reg.host}/public/img:v1`);
    await pushSmallImage(`${reg.host}/private/img:v1`);
    await withRoot(async (root) => {
      const pub = await tsbox(root, ["pull", `${front.host}/public/img:v1`]);
      assert.equal(pub.code, 0, pub.stderr);
      assert.ok(
        front.seen.includes("token repository:public/img:pull anonymous service=test-registry"),
        front.seen.join("\n"),
      );

      const priv = await tsbox(root, ["pull", `${front.host}/private/img:v1`]);
      assert.equal(priv.code, 1);
      assert.match(priv.stderr, /pull access denied/);

      const bad = await tsbox(root, ["login", "-u", "alice", "--password-stdin", front.host], {
        stdin: "wrong",
      });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /incorrect username or password/);
      const login = await tsbox(root, ["login", "-u", "alice", "--password-stdin", front.host], {
        stdin: "pw",
      });
      assert.equal(login.code, 0, login.stderr);

      front.seen.length = 0;
      const ok = await tsbox(root, ["pull", `${front.host}/private/img:v1`]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.ok(
        front.seen.includes("token repository:private/img:pull with-creds service=test-registry"),
        front.seen.join("\n"),
      );
    });
  } finally {
    await front.stop();
    await reg.stop();
  }
});
