// Parses `s3://bucket/prefix` locations given on the command line or in config; `file:///dir`
// names a local directory laid out like a bucket (`tracelint serve` and the CLI only).

export interface BucketLocation {
  bucket: string;
  /** Key prefix without leading or trailing slash ("" for the bucket root). */
  prefix: string;
}

export class BucketUrlError extends Error {
  override name = "BucketUrlError";
}

/** Accepts `s3://bucket`, `s3://bucket/`, `s3://bucket/a/b/` (also `r2://`). */
export function parseBucketUrl(url: string): BucketLocation {
  const match = /^(?:s3|r2):\/\/([^/]+)(?:\/(.*))?$/.exec(url.trim());
  if (!match) throw new BucketUrlError(`expected s3://BUCKET[/PREFIX], got ${JSON.stringify(url)}`);
  const bucket = match[1]!;
  // S3 bucket names: 3-63 chars, lower-case letters, digits, dots, hyphens (R2 is the same).
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new BucketUrlError(`not a valid bucket name: ${JSON.stringify(bucket)}`);
  }
  const prefix = (match[2] ?? "").replace(/^\/+|\/+$/g, "");
  return { bucket, prefix };
}

/** True for `file:///directory`: a local directory laid out like the bucket. */
export function isDirectoryUrl(location: string): boolean {
  return location.startsWith("file://");
}

/** The key prefix a location names: the S3 prefix, or "" for a directory (its root is the bucket's). */
export function locationPrefix(location: string): string {
  return isDirectoryUrl(location) ? "" : parseBucketUrl(location).prefix;
}
