/**
 * The annotations tsbox puts on an OCI spec for what OCI has no field for.
 * A leaf module (no imports): the init reads them without loading specgen.
 * @module
 */

/** Annotation carrying `-u` / image `User` as typed (a name is resolved in the image). */
export const USER_ANNOTATION = "io.tsbox.user";

/** Annotation carrying `--group-add` values, comma-separated (resolved in the image by the init). */
export const GROUP_ADD_ANNOTATION = "io.tsbox.group-add";
