// Bounded memo tables for pure per-value work on the hot path (PII scans of a value under a key,
// span-name templates and verdicts). Attribute values and span names repeat across spans (methods,
// routes, statuses, statements), so most look-ups hit; per-request values (IDs, URLs with IDs,
// client ports) miss and are computed as before. Memory is bounded by a hard entry cap: when it is
// reached the whole table is cleared (cheaper than LRU bookkeeping on every hit, and a clear costs
// only recomputation). A memo only ever caches a pure function of its key, so hits and misses give
// identical results and findings never depend on cache state. Entries stay in process memory only;
// they are never part of a snapshot, a report or a log.

/** Default entry cap: large enough for the repeating values of an estate, ≈ a few MB at most. */
export const DEFAULT_MEMO_ENTRIES = 20_000;

/** A memo keyed by one string. */
export class Memo<V> {
  readonly #cap: number;
  readonly #entries = new Map<string, V>();

  constructor(cap: number = DEFAULT_MEMO_ENTRIES) {
    this.#cap = cap;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached value for `key`, computing (and caching) it on a miss. */
  get(key: string, compute: (key: string) => V): V {
    let value = this.#entries.get(key);
    if (value === undefined && !this.#entries.has(key)) {
      value = compute(key);
      if (this.#entries.size >= this.#cap) this.#entries.clear();
      this.#entries.set(key, value);
    }
    return value as V;
  }
}

/**
 * A memo keyed by two strings (e.g. attribute key, value) without building a combined key string:
 * an outer map per first key, one shared entry cap over all inner entries.
 */
export class Memo2<V> {
  readonly #cap: number;
  readonly #outer = new Map<string, Map<string, V>>();
  #size = 0;

  constructor(cap: number = DEFAULT_MEMO_ENTRIES) {
    this.#cap = cap;
  }

  get size(): number {
    return this.#size;
  }

  get(first: string, second: string, compute: (first: string, second: string) => V): V {
    let inner = this.#outer.get(first);
    if (inner !== undefined) {
      const value = inner.get(second);
      if (value !== undefined || inner.has(second)) return value as V;
    }
    const value = compute(first, second);
    if (this.#size >= this.#cap) {
      this.#outer.clear();
      this.#size = 0;
      inner = undefined;
    }
    if (inner === undefined) {
      inner = new Map();
      this.#outer.set(first, inner);
    }
    inner.set(second, value);
    this.#size++;
    return value;
  }
}
