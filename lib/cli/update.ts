/**
 * `tsbox update [OPTIONS] CONTAINER...` (also `container update`): change
 * resource limits — live in the cgroup of a running container, and in its
 * record for the next start — and the restart policy. Prints each name;
 * exit 1 if any fails. Requires root.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, type FlagDef, parseFlags, str } from "./flags.ts";
import { ContainerError, UsageError } from "../errors.ts";
import { findContainer } from "../container/lookup.ts";
import { withContainerLock } from "../container/lock.ts";
import { liveView } from "../container/live.ts";
import { writeConfig } from "../container/store.ts";
import { updateBundleLimits } from "../container/bundle.ts";
import { recordEvent } from "../container/events.ts";
import { forEachRef } from "../container/cli_report.ts";
import { parseRestartPolicy } from "../container/restart_policy.ts";
import {
  cgroupName,
  hostInfo,
  openCgroups,
  parseResourceFlags,
  type ResourceLimits,
} from "../cgroup/mod.ts";
import { mergeLimits } from "../cgroup/oci_resources.ts";
import { RESOURCE_FLAG_NAMES } from "../cgroup/parse.ts";

const SHORT: Record<string, string> = { memory: "m", "cpu-shares": "c" };

const FLAGS: FlagDef[] = [
  ...RESOURCE_FLAG_NAMES.map((name): FlagDef => ({ name, short: SHORT[name], type: "string" })),
  { name: "restart", type: "string" },
  { name: "help", type: "bool" },
];

const USAGE = `Usage: tsbox update [OPTIONS] CONTAINER [CONTAINER...]

Update configuration of one or more containers

Options:
  -m, --memory BYTES         memory limit
      --memory-swap BYTES    memory+swap limit (-1 unlimited)
      --memory-reservation   soft memory limit
      --cpus N               number of CPUs
  -c, --cpu-shares N         relative CPU weight
      --cpu-period/--cpu-quota  CFS period/quota in µs
      --cpuset-cpus LIST     CPUs allowed
      --cpuset-mems LIST     memory nodes allowed
      --pids-limit N         process limit (-1 unlimited)
      --restart POLICY       no | on-failure[:N] | always | unless-stopped

A running container gets the limits at once; a stopped one at its next start.`;

/** `tsbox update`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, FLAGS);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  if (!p.positionals.length) {
    throw new UsageError(`"update" requires at least 1 argument`, { hint: USAGE.split("\n")[0] });
  }
  const changed: Record<string, string> = {};
  for (const k of RESOURCE_FLAG_NAMES) {
    const v = str(p, k);
    if (v !== undefined) changed[k] = v;
  }
  const restartText = str(p, "restart");
  if (!Object.keys(changed).length && restartText === undefined) {
    throw new UsageError("you must provide one or more flags when using this command");
  }
  const restart = restartText === undefined ? undefined : parseRestartPolicy(restartText);
  const host = hostInfo();
  parseResourceFlags(changed, host); // a bad value fails before any container is touched
  const driver = openCgroups();
  return await forEachRef(p.positionals, async (ref) => {
    const found = findContainer(ctx.paths, ref);
    await withContainerLock(ctx.paths, found.config.id, (rec) => {
      const c = rec.config;
      if (restart && restart.Name !== "no" && c.spec.autoRemove) {
        throw new ContainerError(
          "Restart policy cannot be updated because AutoRemove is enabled for the container",
          { exitCode: 1 },
        );
      }
      const raw = { ...c.spec.resources, ...changed };
      // the stored set (device rules from the security flags included) with the new values
      const limits = mergeLimits(
        (c.resources ?? {}) as ResourceLimits,
        parseResourceFlags(raw, host),
      );
      driver.validate(limits);
      if (Object.keys(changed).length && liveView(rec).running) {
        driver.open(cgroupName(c.id))?.update(limits);
      }
      const { restartPolicy: _old, ...rest } = c;
      writeConfig(ctx.paths, {
        ...rest,
        spec: { ...c.spec, resources: raw, ...(restartText ? { restart: restartText } : {}) },
        resources: limits,
        ...(restart
          ? (restart.Name !== "no" ? { restartPolicy: restart } : {})
          : c.restartPolicy
          ? { restartPolicy: c.restartPolicy }
          : {}),
      });
      updateBundleLimits(rec.dir, limits);
      recordEvent(ctx.paths, "update", c);
    });
    return ref;
  });
};
