// A bounded store of split-trace evidence (candidate roots, pending calls) indexed by (key, time
// bucket), where the key stands for the callee (a root's service and route; a call's caller and
// target). It keeps the earliest `perBucket(item)` items of each (key, bucket) and, of those, the
// earliest `total` overall, by a total order. So that a steady stream of traces leaves the state
// flat, and a busy key (a front door's roots) cannot crowd out a quiet one (the route a broken
// caller calls) within a second.
//
// What survives depends only on the set of items offered, never on arrival order or sharding:
// the kept set is "earliest total of (earliest perBucket per bucket)". An item dropped by the
// total cap is later than `total` kept items, and later items only move that threshold earlier, so
// it (and anything after it in its bucket) could never be kept in a single run either. Trimming to
// `total` is amortised: the store may hold up to twice that between trims.

export interface BucketedEarliestOptions<T> {
  /** Items kept per (key, bucket); Infinity for none. */
  perBucket: (item: T) => number;
  /** Items kept overall. */
  total: number;
  compare: (a: T, b: T) => number;
  /** The (key, time bucket) an item is indexed by, as one string. */
  slotOf: (item: T) => string;
}

export class BucketedEarliest<T> {
  readonly #options: BucketedEarliestOptions<T>;
  /** Each slot's items, sorted by `compare`. */
  readonly #slots = new Map<string, T[]>();
  #size = 0;
  #dropped = 0;
  #sorted: T[] | undefined;

  constructor(options: BucketedEarliestOptions<T>) {
    this.#options = options;
  }

  /**
   * For an item not built yet: true (and counted as dropped, exactly as `add` would) when its slot
   * already holds `perBucket` items and `isAfterLast(the slot's latest kept item)`.
   */
  rejects(slot: string, perBucket: number, isAfterLast: (last: T) => boolean): boolean {
    const list = this.#slots.get(slot);
    if (!list || list.length < perBucket || !isAfterLast(list[list.length - 1]!)) return false;
    this.#dropped++;
    return true;
  }

  /** `slot` may be passed when the caller computed `slotOf(item)` already. */
  add(item: T, slot: string = this.#options.slotOf(item)): void {
    const { compare } = this.#options;
    let list = this.#slots.get(slot);
    if (!list) this.#slots.set(slot, (list = []));
    const cap = this.#options.perBucket(item);
    if (list.length >= cap && compare(item, list[list.length - 1]!) >= 0) {
      this.#dropped++;
      return;
    }
    // Sorted insertion from the end: items mostly arrive in time order.
    let i = list.length;
    while (i > 0 && compare(item, list[i - 1]!) < 0) i--;
    list.splice(i, 0, item);
    this.#size++;
    if (list.length > cap) {
      list.pop();
      this.#size--;
      this.#dropped++;
    }
    this.#sorted = undefined;
    if (this.#size > this.#options.total * 2) this.#trim();
  }

  /** Items offered but not kept. */
  get dropped(): number {
    this.#trim();
    return this.#dropped;
  }

  addDropped(count: number): void {
    this.#dropped += count;
  }

  /** The kept items in `compare` order. */
  items(): readonly T[] {
    this.#trim();
    if (!this.#sorted) {
      const all: T[] = [];
      for (const list of this.#slots.values()) for (const item of list) all.push(item);
      this.#sorted = all.sort(this.#options.compare);
    }
    return this.#sorted;
  }

  /** Drops everything after the `total`-th earliest item. */
  #trim(): void {
    const { total, compare } = this.#options;
    if (this.#size <= total) return;
    const all: T[] = [];
    for (const list of this.#slots.values()) for (const item of list) all.push(item);
    all.sort(compare);
    const last = all[total - 1]!;
    for (const [slot, list] of this.#slots) {
      while (list.length > 0 && compare(list[list.length - 1]!, last) > 0) {
        list.pop();
        this.#size--;
        this.#dropped++;
      }
      if (list.length === 0) this.#slots.delete(slot);
    }
    this.#sorted = all.slice(0, total);
  }
}
