/**
 * Modules the run path loads only when it needs them: the registry client
 * when the image is missing, CNI when a container is bridged, the seccomp
 * compiler (libseccomp) on a cache miss, slirp4netns/pasta for a user-mode
 * network, layer unpacking when an image is
 * stored, container sizes for `ps -s`, main.ts's head start for `run`. `tsbox run --rm --network none busybox true` loads none of them.
 *
 * As in lib/cli/commands.ts, the specifier is computed at run time on
 * purpose (lib/module_url.ts): Deno reads and parses every module a
 * string-literal `import("./x.ts")` names, transitively, when the program
 * starts, called or not. `deno compile` does not follow computed specifiers
 * either, so tools/build.ts passes `lazyModules()` with `--include`
 * (tools/includes.ts), and tools/bundle.ts bundles each on its own;
 * tests/imports/entry_graph_test.ts checks that no other computed import
 * exists and that every `lazy(…)` target is listed here.
 *
 * The imports below but module_url.ts are type-only (erased; Deno does not load them).
 * @module
 */

import { loadModule, moduleUrl } from "./module_url.ts";
import type * as RegistryPull from "./registry/pull.ts";
import type * as NetAttach from "./net/attach.ts";
import type * as NetPrepare from "./net/prepare.ts";
import type * as SeccompLoad from "./seccomp/load.ts";
import type * as LayerUnpack from "./image/layer_unpack.ts";
import type * as NetUsermode from "./net/usermode.ts";
import type * as NetUsermodeResolv from "./net/usermode_resolv.ts";
import type * as RuncTsboxBundle from "./runc/tsbox_bundle.ts";
import type * as ContainerSize from "./container/size.ts";
import type * as RunAhead from "./container/run_ahead.ts";

/** Each lazily loaded module (relative to lib/) and its type. */
interface LazyModules {
  "registry/pull.ts": typeof RegistryPull;
  "net/attach.ts": typeof NetAttach;
  "net/prepare.ts": typeof NetPrepare;
  "seccomp/load.ts": typeof SeccompLoad;
  "image/layer_unpack.ts": typeof LayerUnpack;
  "net/usermode.ts": typeof NetUsermode;
  "net/usermode_resolv.ts": typeof NetUsermodeResolv;
  "runc/tsbox_bundle.ts": typeof RuncTsboxBundle;
  "container/size.ts": typeof ContainerSize;
  "container/run_ahead.ts": typeof RunAhead;
}

/** A module that can be loaded lazily. */
export type LazyModule = keyof LazyModules;

// the type checker keeps this list and LazyModules the same (no key missing, none extra)
const LAZY: Record<LazyModule, true> = {
  "registry/pull.ts": true,
  "net/attach.ts": true,
  "net/prepare.ts": true,
  "seccomp/load.ts": true,
  "image/layer_unpack.ts": true,
  "net/usermode.ts": true,
  "net/usermode_resolv.ts": true,
  "runc/tsbox_bundle.ts": true,
  "container/size.ts": true,
  "container/run_ahead.ts": true,
};

/**
 * Load `module` (relative to lib/) on first use; later calls get the same
 * module. @throws what loading or evaluating the module throws.
 */
export function lazy<K extends LazyModule>(module: K): Promise<LazyModules[K]> {
  return loadModule(`lib/${module}`);
}

/** Every lazily loaded module, as file URLs (for `deno compile --include` and the graph test). */
export function lazyModules(): URL[] {
  return Object.keys(LAZY).map((m) => moduleUrl(`lib/${m}`));
}
