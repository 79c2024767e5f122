/**
 * Disk usage of a volume (apparent size of its files, hard links counted
 * once, mounts not crossed — docker's directory.Size) and docker's
 * human-readable size format. Read-only.
 * @module
 */

/** Total size in bytes of the files below `dir` (0 when missing). */
export function treeSize(dir: string): number {
  let root: Deno.FileInfo;
  try {
    root = Deno.lstatSync(dir);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0; // a volume removed meanwhile has no size
    throw err;
  }
  const seen = new Set<string>();
  let total = 0;
  const walk = (path: string, st: Deno.FileInfo) => {
    if (st.isDirectory) {
      if (st.dev !== root.dev) return;
      for (const e of Deno.readDirSync(path)) {
        walk(`${path}/${e.name}`, Deno.lstatSync(`${path}/${e.name}`));
      }
      return;
    }
    if ((st.nlink ?? 1) > 1) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    total += st.size;
  };
  walk(dir, root);
  return total;
}

/** docker's units.HumanSize: decimal units, 4 significant digits (`1.234kB`, `0B`). */
export function humanSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
  let size = bytes, i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(4))}${units[i]}`;
}
