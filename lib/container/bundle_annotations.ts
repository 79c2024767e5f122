/**
 * The annotations that mark a bundle as a tsbox container's own
 * (start_steps.ts writes them; `tsbox-runc create` reads them). No imports:
 * a runtime call for a foreign bundle loads nothing of tsbox's start.
 * @module
 */

/** Annotation naming the tsbox container a bundle belongs to. */
export const CONTAINER_ANNOTATION = "io.tsbox.container";
/** Annotation carrying the tsbox state root of that container. */
export const ROOT_ANNOTATION = "io.tsbox.root";
