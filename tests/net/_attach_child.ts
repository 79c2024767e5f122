/**
 * Child for the SIGKILL test: attaches a netns (args: root, containerId,
 * netnsPath, hostPort), prints the IP and then idles until killed (at most 60 s).
 */
import { pathsFor } from "../../lib/paths.ts";
import { attachNetwork, parseNetworkFlags } from "../../lib/net/mod.ts";

const [root, id, netns, port] = Deno.args;
const opts = parseNetworkFlags({
  network: "killnet",
  publish: [`127.0.0.1:${port}:80`],
  dns: [],
  addHost: [],
});
const att = await attachNetwork(pathsFor(root), {
  containerId: id,
  containerName: "k",
  hostname: "k",
  netnsPath: netns,
  opts,
});
console.log(att.ip);
setTimeout(() => Deno.exit(0), 60_000);
