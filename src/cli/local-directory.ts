// A local directory given where a bucket is expected (`tracelint audit --blocks DIR`, a `serve`
// audit's `"bucket": "file:///…"`): Tempo's `local` storage backend, or a bucket copied to disk.
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "./inputs";

/**
 * The absolute path a location names (a path or `file:///…`), or undefined for s3:// and r2://
 * URLs. Any other scheme (`gs://`, `S3://`) is a usage error starting with `label`: it would
 * otherwise be taken for a relative directory named after it.
 */
export function locationPath(label: string, location: string): string | undefined {
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
  return resolve(path);
}

/**
 * The directory a location names (absolute), or undefined for s3:// and r2:// URLs. Another
 * scheme, and a path that is not a readable directory, is a usage error starting with `label`.
 */
export async function localDirectory(label: string, location: string): Promise<string | undefined> {
  const absolute = locationPath(label, location);
  if (absolute === undefined) return undefined;
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
