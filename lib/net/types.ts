/**
 * Network records shared by the run path, the CLI and the CNI driver. All
 * are plain JSON-serialisable objects: `NetworkOptions` is stored in the
 * container config at create time, `NetworkAttachment` once CNI ADD ran.
 * @module
 */

/** How a container is networked. */
/** `slirp4netns`: a user-mode network (rootless's default; slirp4netns, else pasta). */
export type NetworkMode = "none" | "host" | "bridge" | "container" | "slirp4netns";

/** One `-p` mapping after parsing (one entry per port of a range). */
export interface PortMapping {
  /** Host address to bind (`""` = all addresses). */
  hostIP: string;
  /** Host port; `0` = pick a free one at attach time. */
  hostPort: number;
  /** Port inside the container. */
  containerPort: number;
  /** `tcp` or `udp`. */
  protocol: "tcp" | "udp";
}

/** Parsed `--network`, `-p`, `--dns`, `--add-host` (see `parseNetworkFlags`). */
export interface NetworkOptions {
  /** `none`, `host`, `bridge` (a CNI bridge network, default or user) or `container` (another's). */
  mode: NetworkMode;
  /** CNI network name for mode `bridge` (`bridge` = the default network); `container:<ref>`. */
  network: string;
  /** Published ports. */
  ports: PortMapping[];
  /** `--dns` nameservers (override the host's). */
  dns: string[];
  /** `--add-host` entries, in order (`ip` may be `host-gateway`). */
  extraHosts: { name: string; ip: string }[];
  /** CNI plugin directories from `--cni-path` (else `TSBOX_CNI_PATH`, else the defaults). */
  cniPath?: string[];
  /** `--network slirp4netns:allow_host_loopback=true` (podman's option): 10.0.2.2 is the host's lo. */
  allowHostLoopback?: boolean;
  /** `--mac-address` of the container's interface (lower case). */
  mac?: string;
}

/** A published port as actually set up (random host ports resolved). */
export type PublishedPort = PortMapping;

/**
 * The result of attaching one container to a network: what `inspect` shows
 * and everything `detachNetwork` needs to undo it, even after a crash.
 */
export interface NetworkAttachment {
  /** CNI network name. */
  network: string;
  /** Container id (CNI_CONTAINERID). */
  containerId: string;
  /** Container name (for /etc/hosts of peers). */
  containerName: string;
  /** Interface name inside the container (CNI_IFNAME). */
  ifname: string;
  /** Persistent netns handle (a bind mount under the state root). */
  netnsPath: string;
  /** Container IPv4 address. */
  ip: string;
  /** Prefix length of `ip`. */
  prefixLen: number;
  /** Gateway (the bridge's address). */
  gateway: string;
  /** MAC address of the container interface. */
  mac: string;
  /** Host-side bridge name. */
  bridge: string;
  /** `network connect --alias`: more names its peers on this network know it by. */
  aliases?: string[];
  /** Published ports with their real host ports. */
  ports: PublishedPort[];
  /** The final CNI ADD result (prevResult for DEL/CHECK). */
  cniResult: Record<string, unknown>;
  /**
   * Plugins the ADD skipped as idle (lib/net/cni_plan.ts `idleOnAdd`): the
   * DEL skips them too. An older tsbox's records lack it: their DEL runs all.
   */
  skipped?: string[];
  /** Directories the CNI plugins were looked up in. */
  cniPath: string[];
  /** tsbox's own record of this attachment (under the state root). */
  recordPath: string;
}

/** One network a bridged container is on, as asked (docker's EndpointSettings from `network connect`). */
export interface EndpointConfig {
  /** Network name. */
  network: string;
  /** `--ip`: a fixed IPv4 address in the network's subnet. */
  ip?: string;
  /** `--alias`: names the other containers of the network resolve it by. */
  aliases?: string[];
}

/**
 * What a container record holds as `network`: the options from create and,
 * while it runs, its attachments. A bridged container is on the networks of
 * `endpoints` (absent: just `opts.network`), in interface order at start.
 */
export interface NetworkRecord {
  opts: NetworkOptions;
  /** The live attachment of `opts.network` (it carries the published ports). */
  attachment?: NetworkAttachment;
  /** The networks it is on, in order (absent in records before `network connect`: `[opts.network]`). */
  endpoints?: EndpointConfig[];
  /** Live attachments of the other endpoints (eth1, eth2, …). */
  connected?: NetworkAttachment[];
}

/** What `tsbox network inspect` and `ls` show for one network. */
export interface NetworkInfo {
  name: string;
  /** 64 hex chars. */
  id: string;
  driver: "bridge" | "host" | "null";
  created: string;
  subnet: string;
  gateway: string;
  bridge: string;
  internal: boolean;
  labels: Record<string, string>;
}
