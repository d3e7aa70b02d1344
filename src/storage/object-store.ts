// The small object-store interface every bucket-backed source and report store uses, so that they do
// not care whether bytes come from AWS S3, Cloudflare R2 (S3 API or Worker binding) or MinIO.

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified?: Date;
}

export interface ListOptions {
  /** Group keys by this separator (usually "/"); groups come back in `prefixes`. */
  delimiter?: string;
  /** List keys after this one (S3 `StartAfter`), for resuming or sharding a listing. */
  startAfter?: string;
}

/** One page of a listing. Pages arrive in key order; the store handles continuation tokens. */
export interface ListPage {
  objects: ObjectInfo[];
  /** Common prefixes when a delimiter was given (each ends with the delimiter). */
  prefixes: string[];
}

export interface StoredObject {
  body: Uint8Array;
  size: number;
  contentType?: string;
  /** As stored; the body may or may not still be encoded (HTTP clients may inflate it). */
  contentEncoding?: string;
  lastModified?: Date;
}

export interface PutOptions {
  contentType?: string;
  contentEncoding?: string;
}

export interface ObjectStore {
  /** A short description for reports and logs, e.g. `s3://bucket` (never credentials). */
  readonly description: string;
  list(prefix: string, options?: ListOptions): AsyncIterable<ListPage>;
  /** Throws ObjectNotFoundError when the key does not exist. */
  get(key: string): Promise<StoredObject>;
  /** Bytes [start, end) of the object (end exclusive, like Blob.slice). */
  getRange(key: string, start: number, end: number): Promise<Uint8Array>;
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<void>;
  /** Size and metadata without the body; undefined when the key does not exist. */
  head?(key: string): Promise<ObjectInfo | undefined>;
  /** Removes the object; no error when it does not exist. */
  delete?(key: string): Promise<void>;
  /**
   * Writes the object only if no object has the key: true when written, false when one existed.
   * Atomic (a directory's exclusive create, S3's `If-None-Match: *`), so of several writers exactly
   * one wins. Stores that cannot do this leave it out.
   */
  createIfAbsent?(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean>;
}

export class ObjectNotFoundError extends Error {
  override name = "ObjectNotFoundError";
  constructor(readonly key: string) {
    super(`no such object: ${key}`);
  }
}

/** Lists every object under a prefix (no delimiter), across pages. */
export async function* listAll(store: ObjectStore, prefix: string, options: ListOptions = {}): AsyncGenerator<ObjectInfo> {
  for await (const page of store.list(prefix, options)) yield* page.objects;
}

/** Joins key parts with "/", ignoring empty parts and stray slashes at the joins. */
export function joinKey(...parts: string[]): string {
  return parts
    .map((p) => p.replace(/^\/+|\/+$/g, ""))
    .filter((p) => p !== "")
    .join("/");
}

/**
 * One line for a failed store request, without request IDs or credentials: the S3 error code and
 * HTTP status when the error carries them (the AWS SDK's errors do; duck-typed so that `src/`
 * needs no SDK import), and plain words for what the SDK reports cryptically.
 */
export function describeStoreError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (error as { code?: string }).code;
  // A non-S3 server (a web page, a proxy's error page) makes the SDK fail to parse its answer.
  if (/Deserialization error|XML parse error|mismatched tag/i.test(error.message)) {
    return `the endpoint did not answer like an S3 API${status ? ` (HTTP ${status})` : ""}: a web page or another service? Check the endpoint and bucket`;
  }
  if (error.name === "TimeoutError" || code === "ETIMEDOUT") return "no answer in time (request timed out, after the SDK's retries)";
  if (code === "EPROTO" || /wrong version number|ssl3_get_record/i.test(error.message)) {
    return "TLS handshake failed: is the endpoint plain http:// rather than https://?";
  }
  const line = error.message.split("\n", 1)[0]!.trim();
  const text = line.length > 300 ? `${line.slice(0, 300)}…` : line;
  return status !== undefined ? `${error.name} (HTTP ${status}): ${text}` : text;
}
