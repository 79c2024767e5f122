/**
 * The per-network iptables rules (lib/net/host_rules.ts): what a network
 * needs, what is missing from a saved ruleset, what removing a network
 * deletes — pure — and the restore input applied for real to the tables
 * of a throw-away network namespace (root), never the host's.
 */

import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import {
  additions,
  FORWARD_CHAIN,
  NAT_CHAIN,
  networkRules,
  parseSave,
  removals,
} from "../../lib/net/host_rules.ts";
import { deleteNetns, makeNetns } from "./_netns.ts";

const NET = { bridge: "tsbox-aaa", subnet: "10.89.7.0/24", internal: false };
const OTHER = { bridge: "tsbox-bbb", subnet: "10.89.8.0/24", internal: false };

/** iptables-save of a table set as an empty host prints it. */
const EMPTY = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
COMMIT
`;

Deno.test("networkRules: replies in, traffic out and masquerade; an internal network only its own bridge", () => {
  const rules = networkRules(NET);
  assertEquals(rules.map((r) => [r.table, r.chain, r.tag]), [
    ["filter", FORWARD_CHAIN, "tsbox:tsbox-aaa:replies"],
    ["filter", FORWARD_CHAIN, "tsbox:tsbox-aaa:from"],
    ["nat", NAT_CHAIN, "tsbox:tsbox-aaa:masquerade"],
  ]);
  assertEquals(rules[2].args, [
    "-s",
    "10.89.7.0/24",
    "!",
    "-o",
    "tsbox-aaa",
    "-m",
    "comment",
    "--comment",
    "tsbox:tsbox-aaa:masquerade",
    "-j",
    "MASQUERADE",
  ]);
  const internal = networkRules({ ...NET, internal: true });
  assertEquals(internal.map((r) => r.table), ["filter", "filter"], "no masquerade");
  assertEquals(internal[1].args.slice(0, 4), ["-i", "tsbox-aaa", "-o", "tsbox-aaa"]);
});

Deno.test("additions: chains, jumps and rules that are missing; nothing when all are there", () => {
  const add = additions(parseSave(EMPTY), networkRules(NET))!;
  assertEquals(add.split("\n").filter((l) => l.startsWith(":") || l.startsWith("-")), [
    `:${FORWARD_CHAIN} - [0:0]`,
    `-I FORWARD 1 -j ${FORWARD_CHAIN}`,
    `-A ${FORWARD_CHAIN} -o tsbox-aaa -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment tsbox:tsbox-aaa:replies -j ACCEPT`,
    `-A ${FORWARD_CHAIN} -i tsbox-aaa -m comment --comment tsbox:tsbox-aaa:from -j ACCEPT`,
    `:${NAT_CHAIN} - [0:0]`,
    `-A POSTROUTING -j ${NAT_CHAIN}`,
    `-A ${NAT_CHAIN} -s 10.89.7.0/24 ! -o tsbox-aaa -m comment --comment tsbox:tsbox-aaa:masquerade -j MASQUERADE`,
  ]);
  // as iptables-save prints them back (comments quoted)
  const applied = `*filter
:FORWARD ACCEPT [0:0]
:${FORWARD_CHAIN} - [0:0]
-A FORWARD -j ${FORWARD_CHAIN}
-A ${FORWARD_CHAIN} -o tsbox-aaa -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "tsbox:tsbox-aaa:replies" -j ACCEPT
-A ${FORWARD_CHAIN} -i tsbox-aaa -m comment --comment "tsbox:tsbox-aaa:from" -j ACCEPT
COMMIT
*nat
:POSTROUTING ACCEPT [0:0]
:${NAT_CHAIN} - [0:0]
-A POSTROUTING -j ${NAT_CHAIN}
-A ${NAT_CHAIN} -s 10.89.7.0/24 ! -o tsbox-aaa -m comment --comment "tsbox:tsbox-aaa:masquerade" -j MASQUERADE
COMMIT
`;
  assertEquals(additions(parseSave(applied), networkRules(NET)), undefined);
  // a flushed nat table: only what it lost, and its chain is not declared again (that would flush it)
  const natGone = applied.replace(/-A POSTROUTING.*\n/, "").replace(/-A TSBOX-POSTROUTING.*\n/, "");
  assertEquals(
    additions(parseSave(natGone), networkRules(NET)),
    [
      "*nat",
      `-A POSTROUTING -j ${NAT_CHAIN}`,
      `-A ${NAT_CHAIN} -s 10.89.7.0/24 ! -o tsbox-aaa -m comment --comment tsbox:tsbox-aaa:masquerade -j MASQUERADE`,
      "COMMIT",
      "",
    ].join("\n"),
  );
  // another network's rules are not this one's
  assert(additions(parseSave(applied), networkRules(OTHER))!.includes("tsbox:tsbox-bbb:from"));
});

Deno.test("removals: one network's rules; the chains and jumps go with the last network", () => {
  const both = `*filter
:${FORWARD_CHAIN} - [0:0]
-A FORWARD -j ${FORWARD_CHAIN}
-A ${FORWARD_CHAIN} -i tsbox-aaa -m comment --comment "tsbox:tsbox-aaa:from" -j ACCEPT
-A ${FORWARD_CHAIN} -i tsbox-bbb -m comment --comment "tsbox:tsbox-bbb:from" -j ACCEPT
COMMIT
*nat
:${NAT_CHAIN} - [0:0]
-A POSTROUTING -j ${NAT_CHAIN}
-A ${NAT_CHAIN} -s 10.89.7.0/24 ! -o tsbox-aaa -m comment --comment "tsbox:tsbox-aaa:masquerade" -j MASQUERADE
COMMIT
`;
  assertEquals(
    removals(parseSave(both), "tsbox-aaa"),
    [
      "*filter",
      `-D ${FORWARD_CHAIN} -i tsbox-aaa -m comment --comment tsbox:tsbox-aaa:from -j ACCEPT`,
      "COMMIT",
      "*nat",
      `-D ${NAT_CHAIN} -s 10.89.7.0/24 ! -o tsbox-aaa -m comment --comment tsbox:tsbox-aaa:masquerade -j MASQUERADE`,
      `-D POSTROUTING -j ${NAT_CHAIN}`,
      `-X ${NAT_CHAIN}`,
      "COMMIT",
      "",
    ].join("\n"),
  );
  assertEquals(removals(parseSave(both), "tsbox-ccc"), undefined);
  assertEquals(removals(parseSave(EMPTY), "tsbox-aaa"), undefined);
  // a name that is another's prefix is not that other
  assertEquals(removals(parseSave(both), "tsbox-a"), undefined);
});

Deno.test("the restore input works on real tables: added, then found complete, then removed (a scratch netns)", async () => {
  const ns = await makeNetns();
  try {
    const exec = (cmd: string, args: string[], input?: string) => {
      const c = new Deno.Command("ip", {
        args: ["netns", "exec", ns.name, cmd, ...args],
        stdin: input === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      if (input !== undefined) {
        const w = c.stdin.getWriter();
        w.write(new TextEncoder().encode(input)).then(() => w.close());
      }
      return c.output().then((o) => {
        const err = new TextDecoder().decode(o.stderr);
        assert(o.success, `${cmd} ${args.join(" ")}: ${err}`);
        return new TextDecoder().decode(o.stdout);
      });
    };
    const save = async () => parseSave(await exec("iptables-save", []));
    const want = [...networkRules(NET), ...networkRules({ ...OTHER, internal: true })];
    await exec("iptables-restore", ["--noflush", "--wait"], additions(await save(), want));
    assertEquals(additions(await save(), want), undefined, "everything is there now");
    const text = await exec("iptables-save", []);
    assertStringIncludes(text, `-A FORWARD -j ${FORWARD_CHAIN}`);
    assertStringIncludes(text, '--comment "tsbox:tsbox-aaa:masquerade" -j MASQUERADE');
    await exec("iptables-restore", ["--noflush", "--wait"], removals(await save(), "tsbox-aaa"));
    const left = await exec("iptables-save", []);
    assert(!left.includes("tsbox-aaa"), left);
    assertStringIncludes(left, "tsbox:tsbox-bbb:from", "the other network's rules stay");
    assert(!left.includes(NAT_CHAIN), "its chain went with its last rule");
    await exec("iptables-restore", ["--noflush", "--wait"], removals(await save(), "tsbox-bbb"));
    const none = await exec("iptables-save", []);
    assert(!none.includes("TSBOX"), none);
  } finally {
    await deleteNetns(ns.name);
  }
});
