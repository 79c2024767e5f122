/**
 * What `rmi` does to one image, decided without touching disk, following
 * docker's rules: a name untags; the image itself goes when its last
 * reference goes; removing by id untags everything when the image has one
 * repository. Deviation: an image used by a container is never deleted
 * (its layers are the container's lowerdirs); `-f` only untags it.
 * @module
 */

import { ImageError } from "../errors.ts";
import { familiarName, parseReference, repositoryOf } from "./reference.ts";
import { shortId } from "./digest.ts";

/** What is known about the image being removed. */
export interface RemoveInput {
  /** Image id. */
  id: string;
  /** The normalised name it was addressed by, or undefined when addressed by id. */
  name?: string;
  /** Its tags (normalised). */
  tags: string[];
  /** Its repo digests (`repo@sha256:…`). */
  repoDigests: string[];
  /** A container using it (id), if any. */
  usedBy?: string;
  force: boolean;
}

/** The changes to make. */
export interface RemovePlan {
  untag: string[];
  dropDigests: string[];
  deleteImage: boolean;
}

/**
 * Plan the removal.
 * @throws {ImageError} docker's conflicts ("must force").
 */
export function planRemove(i: RemoveInput): RemovePlan {
  const single = isSingleRepository(i.tags, i.repoDigests);
  if (i.name !== undefined) {
    if (!i.force && single && i.usedBy) {
      throw new ImageError(
        `conflict: unable to remove repository reference "${
          familiarName(parseReference(i.name))
        }" (must force) - container ${shortId(i.usedBy)} is using its referenced image ${
          shortId(i.id)
        }`,
      );
    }
    const isDigestRef = i.name.includes("@");
    const untag = isDigestRef ? [] : [i.name];
    let dropDigests = isDigestRef ? [i.name] : [];
    const tags = i.tags.filter((t) => !untag.includes(t));
    let digests = i.repoDigests.filter((d) => !dropDigests.includes(d));
    if (!isDigestRef) {
      // docker: when only digest references to that repository remain, they go too
      const repo = repoOf(i.name);
      if (!tags.some((t) => repoOf(t) === repo)) {
        const same = digests.filter((d) => repoOf(d) === repo);
        dropDigests = [...dropDigests, ...same];
        digests = digests.filter((d) => !same.includes(d));
      }
    }
    const left = tags.length + digests.length;
    return { untag, dropDigests, deleteImage: left === 0 && !i.usedBy };
  }
  if (!single && !i.force && i.tags.length + i.repoDigests.length > 0) {
    throw new ImageError(
      `conflict: unable to delete ${
        shortId(i.id)
      } (must be forced) - image is referenced in multiple repositories`,
    );
  }
  if (i.usedBy && !i.force) {
    throw new ImageError(
      `conflict: unable to delete ${
        shortId(i.id)
      } (must be forced) - image is being used by container ${shortId(i.usedBy)}`,
    );
  }
  return { untag: [...i.tags], dropDigests: [...i.repoDigests], deleteImage: !i.usedBy };
}

/** docker's isSingleReference: at most one tag, and all references in one repository. */
function isSingleRepository(tags: string[], digests: string[]): boolean {
  if (tags.length > 1) return false;
  const repos = new Set([...tags, ...digests].map(repoOf));
  return repos.size <= 1;
}

function repoOf(ref: string): string {
  return repositoryOf(parseReference(ref));
}
