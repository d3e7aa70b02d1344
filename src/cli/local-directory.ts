// A local directory given where a bucket is expected (`tracelint audit --blocks DIR`, a `serve`
// audit's `"bucket": "file:///…"`): Tempo's `local` storage backend, or a bucket copied to disk.
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "./inputs";

/**
 * The directory a location names (absolute), or undefined for s3:// and r2:// URLs. Any other
 * scheme, and a path that is not a readable directory, is a usage error starting with `label`.
 */
export async function localDirectory(label: string, location: string): Promise<string | undefined> {
  if (/^(?:s3|r2):\/\//.test(location)) return undefined;
  let path = location;
  if (location.startsWith("file://")) {
    try {
      path = fileURLToPath(location);
    } catch {
      throw new UsageError(`${label}: not a valid file:// URL: ${JSON.stringify(location)}`);
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new UsageError(`${label}: expected s3://BUCKET[/PREFIX] or a local directory, got ${JSON.stringify(location)}`);
  }
  const absolute = resolve(path);
  let info;
  try {
    info = await stat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${label}: ${code === "ENOENT" || code === "ENOTDIR" ? "no such directory" : `cannot read the directory (${code ?? String(error)})`}: ${absolute}`);
  }
  if (!info.isDirectory()) throw new UsageError(`${label}: no such directory (it is a file): ${absolute}`);
  return absolute;
}
