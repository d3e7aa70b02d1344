// Where an object-storage audit reads its bucket: the S3 API with credentials from the secrets the
// audit names (the default, on the Worker and on `tracelint serve`), or a host-provided store — the
// Worker passes an R2 binding when the audit names one.
import type { ObjectSourceConfig } from "../config/deployment";
import type { ObjectStore } from "../storage/object-store";
import { S3ObjectStore } from "../storage/s3";
import { isDirectoryUrl, parseBucketUrl } from "../storage/url";

export type TraceStoreFor = (source: ObjectSourceConfig) => ObjectStore;

export class TraceStoreConfigError extends Error {
  override name = "TraceStoreConfigError";
}

/** An S3 client for the source's bucket; credentials by secret name (default AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY). */
export function s3TraceStore(source: ObjectSourceConfig, secrets: Record<string, string | undefined>): S3ObjectStore {
  rejectDirectory(source);
  const { bucket } = parseBucketUrl(source.bucket);
  const c = source.credentials;
  const accessKeyId = secrets[c.accessKeyIdEnv ?? "AWS_ACCESS_KEY_ID"];
  const secretAccessKey = secrets[c.secretAccessKeyEnv ?? "AWS_SECRET_ACCESS_KEY"];
  const sessionToken = secrets[c.sessionTokenEnv ?? "AWS_SESSION_TOKEN"];
  const endpoint = source.s3.endpoint ?? secrets.AWS_ENDPOINT_URL_S3 ?? secrets.AWS_ENDPOINT_URL;
  const region = source.s3.region ?? secrets.AWS_REGION ?? (endpoint ? "auto" : undefined);
  return new S3ObjectStore({
    bucket,
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    forcePathStyle: source.s3.pathStyle,
    // Without both, the SDK's default chain (Node: profiles, instance roles; the Worker has none).
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
  });
}

/** A `file:///…` bucket where only buckets can be read (the Worker): a configuration error. */
export function rejectDirectory(source: ObjectSourceConfig): void {
  if (isDirectoryUrl(source.bucket)) {
    throw new TraceStoreConfigError(`${source.bucket} is a local directory, which only tracelint serve can read; use an s3:// bucket (or an R2 binding on the Worker)`);
  }
}

/** Releases what a store holds (the S3 client's sockets); a no-op for bindings and directories. */
export function releaseStore(store: ObjectStore): void {
  (store as { destroy?: () => void }).destroy?.();
}
