/**
 * `tsbox rename CONTAINER NEW_NAME`: under the name lock (as `create`
 * takes it), then the container lock.
 * @module
 */

import { join } from "../posix_path.ts";
import type { Command } from "./context.ts";
import { ContainerError, UsageError } from "../errors.ts";
import { withLock } from "../fsutil.ts";
import { findContainer } from "../container/lookup.ts";
import { NAME_RE } from "../container/names.ts";
import { listContainers, writeConfig } from "../container/store.ts";
import { withContainerLock } from "../container/lock.ts";
import { recordEvent } from "../container/events.ts";
import { daemonError } from "../container/cli_report.ts";

/** `tsbox rename`. */
export const main: Command = async (args, ctx) => {
  if (args[0] === "--help") {
    console.log("Usage: tsbox rename CONTAINER NEW_NAME\n\nRename a container");
    return 0;
  }
  if (args.length !== 2) throw new UsageError(`"rename" requires exactly 2 arguments`);
  const [ref, raw] = args;
  const name = raw.replace(/^\//, "");
  return await daemonError(() =>
    withLock(join(ctx.paths.locks, "names.lock"), async () => {
      const rec = findContainer(ctx.paths, ref);
      if (name === "") {
        throw new ContainerError("Neither old nor new names may be empty", { exitCode: 1 });
      }
      if (!NAME_RE.test(name)) {
        throw new ContainerError(
          `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
          { exitCode: 1 },
        );
      }
      if (name === rec.config.name) {
        throw new ContainerError("Renaming a container with the same name as its current name", {
          exitCode: 1,
        });
      }
      const other = listContainers(ctx.paths).find((c) => c.config.name === name);
      if (other) {
        throw new ContainerError(
          `Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${other.config.id}". You have to remove (or rename) that container to be able to reuse that name.`,
          { exitCode: 1 },
        );
      }
      await withContainerLock(ctx.paths, rec.config.id, (cur) => {
        writeConfig(ctx.paths, { ...cur.config, name });
        recordEvent(ctx.paths, "rename", { ...cur.config, name }, {
          oldName: `/${cur.config.name}`,
        });
      });
      return 0;
    })
  );
};
