/**
 * The CNI call sequence for a conflist (pure), following the CNI spec:
 * each plugin gets its own config with the list's `name` and `cniVersion`
 * injected, `runtimeConfig` for the capabilities it declares, and
 * `prevResult` (for ADD: the previous plugin's result, chained by the
 * executor; for DEL/CHECK: the result of the earlier ADD). DEL runs in
 * reverse order. The environment is the same for every plugin of a list.
 * @module
 */

import type { Conflist, PluginConf } from "./conflist.ts";
import type { PortMapping } from "./types.ts";

/** A CNI operation. */
export type CniCommand = "ADD" | "DEL" | "CHECK";

/** Per-container runtime values (libcni's RuntimeConf). */
export interface CniRuntime {
  containerId: string;
  /** Netns path; may be `""` for DEL when the namespace is gone (the spec allows it). */
  netns: string;
  ifname: string;
  cniPath: string[];
  /** Capability arguments, passed only to plugins that declare them. */
  capabilities: { portMappings?: PortMapping[] };
  /** `--mac-address`: CNI_ARGS `MAC=` (the bridge and tuning plugins set it; others ignore it). */
  mac?: string;
  /** `network connect --ip`: CNI_ARGS `IP=` (host-local leases that address). */
  ip?: string;
}

/** One plugin execution. */
export interface CniInvocation {
  /** Plugin binary name (`type`). */
  plugin: string;
  command: CniCommand;
  env: Record<string, string>;
  /** Config on stdin (without the ADD `prevResult`, which the executor chains in). */
  config: Record<string, unknown>;
}

/** PATH for plugins: they run `iptables`, `ip`, sysctl tools from sbin. */
export const PLUGIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The CNI_* environment for `command`. */
export function cniEnv(command: CniCommand, rt: CniRuntime): Record<string, string> {
  const env: Record<string, string> = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: rt.containerId,
    CNI_IFNAME: rt.ifname,
    CNI_PATH: rt.cniPath.join(":"),
    PATH: PLUGIN_PATH,
  };
  if (rt.netns !== "") env.CNI_NETNS = rt.netns;
  const args = [...(rt.ip ? [`IP=${rt.ip}`] : []), ...(rt.mac ? [`MAC=${rt.mac}`] : [])];
  if (args.length) env.CNI_ARGS = ["IgnoreUnknown=1", ...args].join(";");
  return env;
}

/** `runtimeConfig` for one plugin: only the capabilities it asks for. */
export function runtimeConfigFor(
  plugin: PluginConf,
  rt: CniRuntime,
): Record<string, unknown> | undefined {
  const caps = (plugin.capabilities ?? {}) as Record<string, boolean>;
  const out: Record<string, unknown> = {};
  if (caps.portMappings && rt.capabilities.portMappings?.length) {
    out.portMappings = rt.capabilities.portMappings.map((p) => ({
      hostPort: p.hostPort,
      containerPort: p.containerPort,
      protocol: p.protocol,
      ...(p.hostIP ? { hostIP: p.hostIP } : {}),
    }));
  }
  return Object.keys(out).length ? out : undefined;
}

/** The config one plugin receives on stdin. */
export function pluginStdin(
  list: Conflist,
  plugin: PluginConf,
  rt: CniRuntime,
  prevResult?: Record<string, unknown>,
): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  const runtimeConfig = runtimeConfigFor(plugin, rt);
  if (runtimeConfig) conf.runtimeConfig = runtimeConfig;
  if (prevResult) conf.prevResult = prevResult;
  return conf;
}

/** The keys of the portmap and tuning entries tsbox writes (lib/net/conflist.ts). */
const OWN_KEYS: Record<string, readonly string[]> = {
  portmap: ["type", "capabilities", "snat"],
  tuning: ["type", "dataDir"],
};

/**
 * True when `plugin`'s ADD would only hand its prevResult on: tsbox's own
 * portmap entry with no port to publish (it returns before touching
 * iptables), or its tuning entry with no MAC to set (nothing to change,
 * so no backup is written either). A bridged start then runs two plugin
 * processes fewer. DEL and CHECK still run every plugin: a DEL must clean
 * up whatever an ADD of any version did.
 */
export function idleOnAdd(plugin: PluginConf, rt: CniRuntime): boolean {
  const own = OWN_KEYS[plugin.type];
  if (!own || !Object.keys(plugin).every((k) => own.includes(k))) return false;
  return plugin.type === "portmap" ? !rt.capabilities.portMappings?.length : !rt.mac;
}

/**
 * The ordered invocations for `command` on `list` (for ADD, without the
 * plugins `idleOnAdd` skips).
 * @param prevResult the cached ADD result (DEL/CHECK only; omitted for DEL when unknown).
 */
export function planCni(
  command: CniCommand,
  list: Conflist,
  rt: CniRuntime,
  prevResult?: Record<string, unknown>,
): CniInvocation[] {
  const env = cniEnv(command, rt);
  const plugins = command === "DEL"
    ? [...list.plugins].reverse()
    : command === "ADD"
    ? list.plugins.filter((p) => !idleOnAdd(p, rt))
    : list.plugins;
  return plugins.map((p) => ({
    plugin: p.type,
    command,
    env,
    config: pluginStdin(list, p, rt, command === "ADD" ? undefined : prevResult),
  }));
}
