// ObjectStore on a Cloudflare R2 bucket binding (the Worker's `env.BUCKET`). The binding is typed
// structurally here so that `src/` needs no Cloudflare types; only the members used are listed.
import { ObjectNotFoundError, type ListOptions, type ListPage, type ObjectInfo, type ObjectStore, type PutOptions, type StoredObject } from "./object-store";

interface R2HttpMetadataLike {
  contentType?: string;
  contentEncoding?: string;
}

interface R2ObjectLike {
  key: string;
  size: number;
  uploaded: Date;
  httpMetadata?: R2HttpMetadataLike;
}

interface R2ObjectBodyLike extends R2ObjectLike {
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface R2BucketLike {
  list(options?: {
    prefix?: string;
    delimiter?: string;
    cursor?: string;
    startAfter?: string;
    limit?: number;
  }): Promise<{ objects: R2ObjectLike[]; delimitedPrefixes: string[]; truncated: boolean; cursor?: string }>;
  get(key: string, options?: { range?: { offset: number; length: number } }): Promise<R2ObjectBodyLike | null>;
  head(key: string): Promise<R2ObjectLike | null>;
  put(key: string, value: ArrayBuffer | Uint8Array, options?: { httpMetadata?: R2HttpMetadataLike }): Promise<unknown>;
  delete(keys: string | string[]): Promise<void>;
}

export class R2BindingObjectStore implements ObjectStore {
  readonly description: string;
  readonly #bucket: R2BucketLike;

  constructor(bucket: R2BucketLike, name = "binding") {
    this.#bucket = bucket;
    this.description = `r2://${name}`;
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ListPage> {
    let cursor: string | undefined;
    do {
      const out = await this.#bucket.list({
        prefix,
        ...(options.delimiter ? { delimiter: options.delimiter } : {}),
        ...(options.startAfter && !cursor ? { startAfter: options.startAfter } : {}),
        ...(cursor ? { cursor } : {}),
      });
      yield {
        objects: out.objects.map((o) => ({ key: o.key, size: o.size, lastModified: o.uploaded })),
        prefixes: out.delimitedPrefixes,
      };
      cursor = out.truncated ? out.cursor : undefined;
    } while (cursor);
  }

  async get(key: string): Promise<StoredObject> {
    const object = await this.#bucket.get(key);
    if (!object) throw new ObjectNotFoundError(key);
    const body = new Uint8Array(await object.arrayBuffer());
    return {
      body,
      size: body.byteLength,
      lastModified: object.uploaded,
      ...(object.httpMetadata?.contentType ? { contentType: object.httpMetadata.contentType } : {}),
      ...(object.httpMetadata?.contentEncoding ? { contentEncoding: object.httpMetadata.contentEncoding } : {}),
    };
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    if (end <= start) return new Uint8Array();
    const object = await this.#bucket.get(key, { range: { offset: start, length: end - start } });
    if (!object) throw new ObjectNotFoundError(key);
    return new Uint8Array(await object.arrayBuffer());
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<void> {
    const httpMetadata: R2HttpMetadataLike = {
      ...(options.contentType ? { contentType: options.contentType } : {}),
      ...(options.contentEncoding ? { contentEncoding: options.contentEncoding } : {}),
    };
    await this.#bucket.put(key, body, Object.keys(httpMetadata).length > 0 ? { httpMetadata } : {});
  }

  async delete(key: string): Promise<void> {
    await this.#bucket.delete(key);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const object = await this.#bucket.head(key);
    return object ? { key, size: object.size, lastModified: object.uploaded } : undefined;
  }
}
