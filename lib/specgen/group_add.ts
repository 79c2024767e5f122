/**
 * `--group-add`: the extra groups travel to the init as an annotation, as
 * typed (names are resolved in the image's /etc/group, numbers taken as
 * they are, by `lib/init/group_add.ts`), since OCI's `additionalGids`
 * holds numbers only.
 * @module
 */

import { GROUP_ADD_ANNOTATION } from "../oci/annotations.ts";

export { GROUP_ADD_ANNOTATION };

/** The annotation for `groups` (none when empty). Pure. */
export function groupAddAnnotations(groups: string[] | undefined): Record<string, string> {
  return groups?.length ? { [GROUP_ADD_ANNOTATION]: groups.join(",") } : {};
}
