/**
 * A test fixture: a temporary state root with one user network, and a
 * cleanup that detaches whatever is still attached, removes the network
 * (and so its bridge), and deletes the test's namespaces — even when the
 * test failed half-way.
 * @module
 */

import { type Paths, pathsFor } from "../../lib/paths.ts";
import { removeTree } from "../helpers/tsbox.ts";
import { detachNetwork, listAttachments } from "../../lib/net/mod.ts";
import { createNetwork, listNetworks, removeNetwork } from "../../lib/net/store.ts";
import { networkInfoOf } from "../../lib/net/conflist.ts";
import { deleteBridge } from "../../lib/net/bridge.ts";
import { deleteNetns, makeNetns, stopProcess } from "./_netns.ts";

/** What a test gets. */
export interface NetFixture {
  root: string;
  paths: Paths;
  /** Make a netns that cleanup deletes. */
  netns(): Promise<{ name: string; path: string }>;
  /** Register a process that cleanup stops. */
  track(p: Deno.ChildProcess): Deno.ChildProcess;
}

/** Run `fn` with a fresh root holding network `net` (created unless `create` is false). */
export async function withNetwork(
  net: string,
  fn: (f: NetFixture) => Promise<void>,
  create: { subnet?: string; internal?: boolean } | false = {},
): Promise<void> {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-nettest-" });
  const paths = pathsFor(root);
  const namespaces: string[] = [];
  const procs: Deno.ChildProcess[] = [];
  const f: NetFixture = {
    root,
    paths,
    netns: async () => {
      const ns = await makeNetns();
      namespaces.push(ns.name);
      return ns;
    },
    track: (p) => {
      procs.push(p);
      return p;
    },
  };
  let failure: { err: unknown } | undefined;
  try {
    if (create) await createNetwork(paths, { name: net, ...create });
    await fn(f);
  } catch (err) {
    failure = { err };
  }
  // cleanup runs whether or not the test failed; a test failure wins over a cleanup failure
  const errors: unknown[] = [];
  for (const p of procs) await stopProcess(p);
  for (const a of listAttachments(paths)) {
    await detachNetwork(paths, a).catch((e) => errors.push(e));
  }
  for (const l of listNetworks(paths)) {
    const bridge = networkInfoOf(l).bridge;
    await removeNetwork(paths, l.name).catch((e) => errors.push(e));
    await deleteBridge(bridge);
  }
  for (const n of namespaces) await deleteNetns(n);
  await removeTree(root);
  if (failure) throw failure.err;
  if (errors.length) throw errors[0];
}
