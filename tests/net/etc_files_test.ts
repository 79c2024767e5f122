/** Tests of /etc/hosts, resolv.conf and hostname generation (no root needed). */

import { assert, assertEquals } from "../helpers/assert.ts";
import { join } from "node:path";
import { buildHosts, buildResolvConf, hostResolvConf } from "../../lib/net/etc_files.ts";
import { parseNetworkFlags, writeEtcFiles } from "../../lib/net/mod.ts";

Deno.test("buildHosts: localhost entries, add-host lines, own address, peers by name", () => {
  const h = buildHosts({
    hostname: "web",
    containerName: "web-1",
    ip: "10.89.0.2",
    extraHosts: [{ name: "db", ip: "10.1.2.3" }],
    peers: [{ name: "zeta", ip: "10.89.0.4" }, { name: "alpha", ip: "10.89.0.3" }],
  });
  const lines = h.trimEnd().split("\n");
  assertEquals(lines[0], "127.0.0.1\tlocalhost");
  assertEquals(lines[1], "::1\tlocalhost ip6-localhost ip6-loopback");
  assertEquals(lines.slice(-4), [
    "10.1.2.3\tdb",
    "10.89.0.2\tweb web-1",
    "10.89.0.3\talpha",
    "10.89.0.4\tzeta",
  ]);
});

Deno.test("buildHosts: without a network the hostname maps to 127.0.1.1; host mode starts from the host's file", () => {
  assert(
    buildHosts({ hostname: "h", containerName: "h", extraHosts: [], peers: [] }).includes(
      "127.0.1.1\th\n",
    ),
  );
  assertEquals(
    buildHosts({
      hostname: "h",
      containerName: "h",
      extraHosts: [{ name: "x", ip: "1.2.3.4" }],
      peers: [],
      hostFile: "127.0.0.1 localhost myhost\n",
    }),
    "127.0.0.1 localhost myhost\n1.2.3.4\tx\n",
  );
});

Deno.test("buildResolvConf: drops loopback nameservers, keeps search/options, falls back to 8.8.8.8/8.8.4.4", () => {
  const host =
    "# generated\nnameserver 127.0.0.53\nnameserver ::1\nnameserver 10.0.0.2\nsearch example.com\noptions edns0\n";
  assertEquals(
    buildResolvConf(host, [], false),
    "# generated\nnameserver 10.0.0.2\nsearch example.com\noptions edns0\n",
  );
  assertEquals(
    buildResolvConf("nameserver 127.0.0.1\nsearch a\n", [], false),
    "search a\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n",
  );
  assertEquals(
    buildResolvConf(host, ["1.1.1.1"], false),
    "# generated\nsearch example.com\noptions edns0\nnameserver 1.1.1.1\n",
  );
  assert(
    buildResolvConf(host, [], true).includes("nameserver 127.0.0.53"),
    "host network keeps the host's resolvers",
  );
});

Deno.test("hostResolvConf: uses systemd-resolved's upstream file behind the 127.0.0.53 stub", () => {
  const files: Record<string, string> = {
    "/etc/resolv.conf": "nameserver 127.0.0.53\n",
    "/run/systemd/resolve/resolv.conf": "nameserver 192.0.2.53\n",
  };
  assertEquals(hostResolvConf((p) => files[p]), "nameserver 192.0.2.53\n");
  assertEquals(
    hostResolvConf((p) => (p === "/etc/resolv.conf" ? "nameserver 10.0.0.1\n" : undefined)),
    "nameserver 10.0.0.1\n",
  );
});

Deno.test("writeEtcFiles: writes the three files for --network none and rewrites them in place", () => {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-etc-" });
  try {
    const opts = parseNetworkFlags({
      network: "none",
      publish: [],
      dns: ["9.9.9.9"],
      addHost: ["db:10.0.0.9"],
    });
    const p = writeEtcFiles(dir, { hostname: "box", opts, containerName: "box" });
    assertEquals(p, {
      hosts: join(dir, "hosts"),
      resolvConf: join(dir, "resolv.conf"),
      hostname: join(dir, "hostname"),
    });
    assertEquals(Deno.readTextFileSync(p.hostname), "box\n");
    assert(Deno.readTextFileSync(p.hosts).includes("10.0.0.9\tdb\n127.0.1.1\tbox\n"));
    assert(Deno.readTextFileSync(p.resolvConf).endsWith("nameserver 9.9.9.9\n"));
    const ino = Deno.statSync(p.hosts).ino;
    writeEtcFiles(dir, { hostname: "box2", opts, containerName: "box" });
    assertEquals(Deno.statSync(p.hosts).ino, ino, "same inode: bind mounts keep seeing the file");
    assertEquals(Deno.readTextFileSync(p.hostname), "box2\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
