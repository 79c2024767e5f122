/**
 * `--group-add`: the extra groups travel to the init as an annotation, as
 * typed (names are resolved in the image's /etc/group, numbers taken as
 * they are, by `lib/init/group_add.ts`), since OCI's `additionalGids`
 * holds numbers only.
 * @module
 */

/** Annotation carrying `--group-add` values, comma-separated. */
export const GROUP_ADD_ANNOTATION = "io.tsbox.group-add";

/** The annotation for `groups` (none when empty). Pure. */
export function groupAddAnnotations(groups: string[] | undefined): Record<string, string> {
  return groups?.length ? { [GROUP_ADD_ANNOTATION]: groups.join(",") } : {};
}
