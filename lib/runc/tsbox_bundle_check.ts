/**
 * Whether a spec claims to be a tsbox container's own bundle — checked
 * before anything of tsbox's start is loaded (tsbox_bundle.ts is, only then).
 * @module
 */

import type { Spec } from "../oci/spec.ts";
import { CONTAINER_ANNOTATION } from "../container/bundle_annotations.ts";

/** True when `spec` carries the tsbox container annotation. */
export function isTsboxBundle(spec: Spec): boolean {
  return spec.annotations?.[CONTAINER_ANNOTATION] !== undefined;
}
