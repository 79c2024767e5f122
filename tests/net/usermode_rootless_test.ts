/**
 * Integration tests of the user-mode network with pasta (as root, in a
 * root-mapped user namespace) and as an unprivileged user made for the
 * test with useradd (subordinate ranges, `unshare --map-auto`), both
 * helpers. Needs root to create the user; the user is removed in `finally`,
 * and /dev/net/tun's mode (changed for the test) is restored.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { DENO } from "../helpers/tsbox.ts";
import { formatError, NetworkError } from "../../lib/errors.ts";
import { fromFileUrl } from "../../lib/url.ts";
import { pidStartTime } from "../../lib/container/proc.ts";
import { parsePublish } from "../../lib/net/ports.ts";
import { findHelper, startUsermodeNet } from "../../lib/net/usermode.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";
import { freePort, sh, tryFetch } from "./_netns.ts";
import {
  assertNothingLeft,
  hostServer,
  type NsHolder,
  pgrepF,
  reap,
  startNsHolder,
  wgetIn,
  withHolder,
} from "./_usermode_ns.ts";

const ROOT = Deno.uid() === 0;
const SLIRP = findHelper("slirp4netns") !== undefined;
const PASTA = findHelper("pasta") !== undefined;
const CHILD = fromFileUrl(new URL("./_usermode_child.ts", import.meta.url));

Deno.test({
  ignore: !ROOT || !PASTA,
  name:
    "startUsermodeNet: pasta publishes 127.0.0.1:PORT:80 and reaches the host's loopback through the gateway",
  fn: () =>
    withHolder("map-root", async ({ dir, holder, text, setNet }) => {
      const host = hostServer();
      try {
        const port = freePort();
        const net = await startUsermodeNet({
          target: { pid: holder.pid },
          ports: parsePublish(`127.0.0.1:${port}:80`),
          runDir: dir,
          backend: "pasta",
          allowHostLoopback: true,
          kernel: new LinuxKernel(),
        });
        setNet(net);
        console.log(`pasta ready in ${net.readyMs.toFixed(1)} ms (noisy: shared machine)`);
        assertEquals(await tryFetch(`http://127.0.0.1:${port}/index.html`), text);
        assertEquals(await wgetIn(holder.pid, `http://${net.gateway}:${host.port}/`), host.token);
        await net.stop();
        assertEquals(pidStartTime(net.pid), undefined);
        assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["www"], "FIFO removed");
      } finally {
        await host.close();
      }
    }),
});

Deno.test({
  ignore: !ROOT || !PASTA,
  name: "startUsermodeNet: pasta refuses a root-owned netns by PID with one line, starting nothing",
  fn: () =>
    withHolder("none", async ({ dir, holder }) => {
      const err = await assertRejects(
        () =>
          startUsermodeNet({
            target: { pid: holder.pid },
            ports: [],
            runDir: dir,
            backend: "pasta",
            kernel: new LinuxKernel(),
          }),
        NetworkError,
        "pasta cannot join a root-owned network namespace by PID",
      );
      assertEquals(formatError(err).split("\n")[1], `hint: ${err.hint}`);
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["www"]);
    }),
});

const USER = "tsbox-slirp-test";

/** Remove the test user (and, with it, its /etc/subuid and /etc/subgid lines) if it exists. */
async function removeUser(): Promise<void> {
  if ((await sh("id", ["-u", USER])).code !== 0) return;
  const r = await sh("userdel", ["-r", USER]);
  assert(r.code === 0 || /mail spool/.test(r.out), `userdel: ${r.out}`);
}

/** A subordinate range past every one in `file` ("START-END" for usermod). */
function freeSubRange(file: string): string {
  const ends = Deno.readTextFileSync(file).split("\n").map((l) => l.split(":"))
    .filter((f) => f.length === 3).map((f) => Number(f[1]) + Number(f[2]));
  const start = Math.max(500_000, ...ends);
  return `${start}-${start + 65535}`;
}

/** Run the owner child as `asUser`; returns it and its first JSON line. */
async function startChild(
  asUser: string[],
  cfg: {
    pid: number;
    runDir: string;
    publish: string[];
    allowHostLoopback: boolean;
    backend?: string;
  },
): Promise<{ child: Deno.ChildProcess; info: Record<string, any>; rest: () => Promise<string> }> {
  const argv = [...asUser, DENO, "run", "-A", "--no-lock", CHILD, JSON.stringify(cfg)];
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const r = await reader.read();
    if (r.done) break;
    text += r.value;
  }
  const rest = async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
    return text.slice(text.indexOf("\n") + 1);
  };
  return { child, info: JSON.parse(text.split("\n")[0] || "{}"), rest };
}

Deno.test({
  ignore: !ROOT || !SLIRP,
  name:
    "startUsermodeNet: as an unprivileged user (subordinate ranges, unshare --map-auto) publishes and reaches the host (slirp4netns, pasta); /dev/net/tun 0600 is one clear line",
  fn: async () => {
    const tun = "/dev/net/tun";
    const tunMode = Deno.statSync(tun).mode! & 0o7777;
    const dir = Deno.makeTempDirSync({ prefix: "tsbox-um-" });
    const text = `hello-${crypto.randomUUID()}`;
    const host = hostServer();
    let holder: NsHolder | undefined;
    let owner: Deno.ChildProcess | undefined;
    try {
      await removeUser(); // a leftover of a killed run
      const add = await sh("useradd", ["-m", "-s", "/bin/sh", USER]);
      assertEquals(add.code, 0, `useradd: ${add.out}`);
      if (!Deno.readTextFileSync("/etc/subuid").split("\n").some((l) => l.startsWith(`${USER}:`))) {
        const range = freeSubRange("/etc/subuid");
        const r = await sh("usermod", ["--add-subuids", range, "--add-subgids", range, USER]);
        assertEquals(r.code, 0, `usermod: ${r.out}`);
      }
      const uid = Number((await sh("id", ["-u", USER])).out);
      const gid = Number((await sh("id", ["-g", USER])).out);
      Deno.chownSync(dir, uid, gid);
      const asUser = [
        "setpriv",
        `--reuid=${uid}`,
        `--regid=${gid}`,
        "--init-groups",
        "--reset-env",
      ];
      holder = await startNsHolder(join(dir, "www"), text, "map-auto", asUser);
      const sub = Deno.readTextFileSync("/etc/subuid").split("\n").find((l) =>
        l.startsWith(`${USER}:`)
      )!
        .split(":");
      const uidMap = Deno.readTextFileSync(`/proc/${holder.pid}/uid_map`).trim().split("\n")
        .map((l) => l.trim().split(/\s+/).join(" "));
      assertEquals(
        uidMap,
        [`0 ${uid} 1`, `1 ${sub[1]} ${Number(sub[2]) - 1}`],
        "root inside is the user, then the range",
      );

      const port = freePort();
      const cfg = {
        pid: holder.pid,
        runDir: dir,
        publish: [`127.0.0.1:${port}:80`],
        allowHostLoopback: true,
      };
      Deno.chmodSync(tun, 0o600); // what this machine ships; udev's default is 0666
      const refused = await startChild(asUser, cfg);
      await refused.child.status;
      assertEquals(
        refused.info.error,
        'tsbox: slirp4netns failed: open("/dev/net/tun"): Permission denied\n' +
          "hint: unprivileged users need /dev/net/tun readable and writable (mode 0666, udev's default)",
      );
      assertEquals(await pgrepF(join(dir, "slirp4netns.sock")), []);

      Deno.chmodSync(tun, 0o666);
      const ok = await startChild(asUser, cfg);
      owner = ok.child;
      assert(!ok.info.error, ok.info.error);
      assertEquals([ok.info.backend, ok.info.uid], ["slirp4netns", uid]);
      console.log(`slirp4netns ready in ${ok.info.readyMs.toFixed(1)} ms as ${USER} (noisy)`);
      const status = Deno.readTextFileSync(`/proc/${ok.info.pid}/status`);
      assertMatch(status, new RegExp(`^Uid:\\s+${uid}\\s`, "m"), "slirp4netns runs as the user");
      assertEquals(await tryFetch(`http://127.0.0.1:${port}/index.html`), text);
      assertEquals(await wgetIn(holder.pid, `http://10.0.2.2:${host.port}/`), host.token);

      await owner.stdin.close();
      assertEquals((await ok.rest()).trim(), "stopped");
      assertEquals((await owner.status).code, 0);
      assertEquals(pidStartTime(ok.info.pid), undefined);

      if (PASTA) {
        const pport = freePort();
        const p = await startChild(asUser, {
          ...cfg,
          publish: [`127.0.0.1:${pport}:80`],
          backend: "pasta",
        });
        owner = p.child;
        assert(!p.info.error, p.info.error);
        console.log(`pasta ready in ${p.info.readyMs.toFixed(1)} ms as ${USER} (noisy)`);
        assertEquals(await tryFetch(`http://127.0.0.1:${pport}/index.html`), text);
        assertEquals(
          await wgetIn(holder.pid, `http://${p.info.gateway}:${host.port}/`),
          host.token,
        );
        await owner.stdin.close();
        assertEquals((await p.rest()).trim(), "stopped");
        assertEquals((await owner.status).code, 0);
        assertEquals(pidStartTime(p.info.pid), undefined);
      }
    } finally {
      if (owner) await reap(owner);
      await holder?.stop();
      Deno.chmodSync(tun, tunMode);
      await host.close();
      await assertNothingLeft(dir);
      await removeUser();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
