// ObjectStore on @aws-sdk/client-s3: AWS S3, Cloudflare R2's S3 API and MinIO/other S3-compatible
// stores. Credentials come from the SDK's default chain (environment, shared profiles, SSO, IMDS)
// unless given explicitly; the endpoint and path-style addressing are explicit options because
// S3-compatible stores need them. No Node-only imports here: in workerd the SDK needs the
// `@aws-sdk/xml-builder` alias (docs/object-storage.md).
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { ObjectNotFoundError, type ListOptions, type ListPage, type ObjectInfo, type ObjectStore, type PutOptions, type StoredObject } from "./object-store";

export interface S3StoreOptions {
  bucket: string;
  /** e.g. `http://127.0.0.1:9000`, `https://<account>.r2.cloudflarestorage.com`. */
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`), needed by MinIO and most local servers. */
  forcePathStyle?: boolean;
  /** Defaults to the SDK's resolution (AWS_REGION, profile); "auto" for R2. */
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * Per request: connecting and the whole answer (default 30 s). Without it a store that accepts
   * the connection and never answers stalls the audit for ever. The SDK retries a timeout.
   */
  timeoutMs?: number;
  /** Passed through for tests and unusual setups (retries, custom request handler). */
  clientConfig?: Partial<S3ClientConfig>;
}

export const DEFAULT_S3_TIMEOUT_MS = 30_000;

/** Reads of one object body, when the connection drops mid-body. */
const BODY_ATTEMPTS = 3;

/** Where the endpoint comes from, in the order AWS tools use: explicit, then environment. */
export function endpointFromEnv(env: Record<string, string | undefined>): string | undefined {
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

function notFound(error: unknown): boolean {
  if (error instanceof S3ServiceException) {
    return error.name === "NoSuchKey" || error.name === "NotFound" || error.$metadata?.httpStatusCode === 404;
  }
  return false;
}

export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: S3StoreOptions) {
    this.#bucket = options.bucket;
    this.description = `s3://${options.bucket}`;
    this.#client = new S3Client({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.forcePathStyle !== undefined ? { forcePathStyle: options.forcePathStyle } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // S3-compatible stores (R2, MinIO, older Ceph) reject the SDK's default CRC32 checksums.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      // Node's handler only warns on a request timeout unless told to throw; fetch's honours it.
      requestHandler: {
        connectionTimeout: Math.min(10_000, options.timeoutMs ?? DEFAULT_S3_TIMEOUT_MS),
        requestTimeout: options.timeoutMs ?? DEFAULT_S3_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      },
      ...options.clientConfig,
    });
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ListPage> {
    let token: string | undefined;
    do {
      const out = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: prefix,
          ...(options.delimiter ? { Delimiter: options.delimiter } : {}),
          ...(options.startAfter && !token ? { StartAfter: options.startAfter } : {}),
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      yield {
        objects: (out.Contents ?? []).map((o) => ({
          key: o.Key ?? "",
          size: o.Size ?? 0,
          ...(o.LastModified ? { lastModified: o.LastModified } : {}),
        })),
        prefixes: (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? "").filter((p) => p !== ""),
      };
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  async get(key: string): Promise<StoredObject> {
    try {
      const { out, body } = await this.#getObject({ Bucket: this.#bucket, Key: key });
      return {
        body,
        size: body.byteLength,
        ...(out.ContentType ? { contentType: out.ContentType } : {}),
        ...(out.ContentEncoding ? { contentEncoding: out.ContentEncoding } : {}),
        ...(out.LastModified ? { lastModified: out.LastModified } : {}),
      };
    } catch (error) {
      if (notFound(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    if (end <= start) return new Uint8Array();
    try {
      const { out, body } = await this.#getObject({ Bucket: this.#bucket, Key: key, Range: `bytes=${start}-${end - 1}` });
      // A server that ignores Range returns the whole object; cut it down rather than misread.
      if (body.byteLength > end - start && !out.ContentRange) return body.subarray(start, end);
      return body;
    } catch (error) {
      if (notFound(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  /**
   * GetObject and its body. The SDK retries a request until the headers arrive; a connection
   * dropped while the body streams (a proxy timing out on a large Parquet range) is retried here.
   */
  async #getObject(input: { Bucket: string; Key: string; Range?: string }) {
    for (let attempt = 1; ; attempt++) {
      const out = await this.#client.send(new GetObjectCommand(input));
      try {
        return { out, body: out.Body ? await out.Body.transformToByteArray() : new Uint8Array() };
      } catch (error) {
        if (attempt >= BODY_ATTEMPTS) {
          throw new Error(`the connection dropped while the body was read, ${attempt} times (${(error as Error).message})`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Body: body,
        ...(options.contentType ? { ContentType: options.contentType } : {}),
        ...(options.contentEncoding ? { ContentEncoding: options.contentEncoding } : {}),
      }),
    );
  }

  async createIfAbsent(key: string, body: Uint8Array, options: PutOptions = {}): Promise<boolean> {
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: body,
          IfNoneMatch: "*",
          ...(options.contentType ? { ContentType: options.contentType } : {}),
        }),
      );
      return true;
    } catch (error) {
      // 412: the key exists; 409: a concurrent conditional write to it is in flight (S3 and R2).
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || status === 409) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { key, size: out.ContentLength ?? 0, ...(out.LastModified ? { lastModified: out.LastModified } : {}) };
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  }

  destroy(): void {
    this.#client.destroy();
  }
}
