// Directory walks that follow symbolic links (a folder linked into place, a Kubernetes volume's
// `..data` links) must list each real directory once, or a link cycle never ends.
import type { Dirent } from "node:fs";
import { readdir, realpath } from "node:fs/promises";

/** The entries of `dir`, or undefined when its real path is already in `seen` (which it joins). */
export async function readDirOnce(dir: string, seen: Set<string>): Promise<Dirent[] | undefined> {
  const real = await realpath(dir);
  if (seen.has(real)) return undefined;
  seen.add(real);
  return readdir(dir, { withFileTypes: true });
}
