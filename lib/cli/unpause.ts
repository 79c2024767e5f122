/**
 * `tsbox unpause CONTAINER...`: thaw paused containers (see pause.ts).
 * @module
 */

import { unpause } from "./pause.ts";

/** `tsbox unpause`. */
export const main = unpause;
