// Wraps an object store and counts what was read, per object, for the report's `source` section.
import type { ListOptions, ListPage, ObjectInfo, ObjectStore, PutOptions, StoredObject } from "./object-store";

export interface ReadTally {
  /** Requests made (GET, ranged GET). */
  requests: number;
  bytes: number;
}

export class MeteredObjectStore implements ObjectStore {
  readonly #inner: ObjectStore;
  readonly #byKey = new Map<string, ReadTally>();
  #listRequests = 0;

  constructor(inner: ObjectStore) {
    this.#inner = inner;
  }

  get description(): string {
    return this.#inner.description;
  }

  #count(key: string, bytes: number): void {
    const tally = this.#byKey.get(key);
    if (tally) {
      tally.requests++;
      tally.bytes += bytes;
    } else this.#byKey.set(key, { requests: 1, bytes });
  }

  /** Bytes and requests per key read so far. */
  tally(key: string): ReadTally {
    return this.#byKey.get(key) ?? { requests: 0, bytes: 0 };
  }

  get totalBytes(): number {
    let total = 0;
    for (const t of this.#byKey.values()) total += t.bytes;
    return total;
  }

  get listRequests(): number {
    return this.#listRequests;
  }

  async *list(prefix: string, options?: ListOptions): AsyncIterable<ListPage> {
    for await (const page of this.#inner.list(prefix, options)) {
      this.#listRequests++;
      yield page;
    }
  }

  async get(key: string): Promise<StoredObject> {
    const object = await this.#inner.get(key);
    this.#count(key, object.body.byteLength);
    return object;
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const bytes = await this.#inner.getRange(key, start, end);
    this.#count(key, bytes.byteLength);
    return bytes;
  }

  put(key: string, body: Uint8Array, options?: PutOptions): Promise<void> {
    return this.#inner.put(key, body, options);
  }

  async delete(key: string): Promise<void> {
    await this.#inner.delete?.(key);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    return this.#inner.head?.(key);
  }
}
