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

/** The secrets an S3-API source reads its credentials from. */
function credentialNames(source: ObjectSourceConfig): { accessKeyId: string; secretAccessKey: string; named: boolean } {
  const c = source.credentials;
  return {
    accessKeyId: c.accessKeyIdEnv ?? "AWS_ACCESS_KEY_ID",
    secretAccessKey: c.secretAccessKeyEnv ?? "AWS_SECRET_ACCESS_KEY",
    named: c.accessKeyIdEnv !== undefined || c.secretAccessKeyEnv !== undefined,
  };
}

/**
 * What to set when an S3-API source has no credentials: the secrets by name (never their values),
 * and where the names come from.
 */
export function credentialHint(source: ObjectSourceConfig, secrets?: Record<string, string | undefined>): string {
  const names = credentialNames(source);
  const missing = secrets ? [names.accessKeyId, names.secretAccessKey].filter((n) => !secrets[n]) : [names.accessKeyId, names.secretAccessKey];
  const which = missing.length > 0 ? missing.join(" and ") : `${names.accessKeyId} and ${names.secretAccessKey}`;
  const origin = names.named
    ? "the secrets named by the audit's source.credentials.accessKeyIdEnv/secretAccessKeyEnv"
    : "or name other secrets in the audit's source.credentials.accessKeyIdEnv/secretAccessKeyEnv";
  return `no credentials for ${source.bucket} through the S3 API: set ${which} (${origin}; on the Worker: wrangler secret put), or read the bucket through an R2 binding ("binding")`;
}

/** An error of the S3 client that means it found no credentials at all. */
export function isCredentialError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === "CredentialsProviderError" || /Credential is missing|Could not load credentials|Resolved credential object is not valid/i.test(error.message);
}

/**
 * An S3 client for the source's bucket; credentials by secret name (default AWS_ACCESS_KEY_ID/
 * AWS_SECRET_ACCESS_KEY). With `requireCredentials` (the Worker, which has no default credential
 * chain) missing secrets are a configuration error at once, naming them.
 */
export function s3TraceStore(source: ObjectSourceConfig, secrets: Record<string, string | undefined>, options: { requireCredentials?: boolean } = {}): S3ObjectStore {
  rejectDirectory(source);
  const { bucket } = parseBucketUrl(source.bucket);
  const c = source.credentials;
  const names = credentialNames(source);
  const accessKeyId = secrets[names.accessKeyId];
  const secretAccessKey = secrets[names.secretAccessKey];
  if (options.requireCredentials && !(accessKeyId && secretAccessKey)) throw new TraceStoreConfigError(credentialHint(source, secrets));
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
