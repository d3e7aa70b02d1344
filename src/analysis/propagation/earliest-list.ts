// A list capped at `cap` items that keeps the earliest ones by a total order. Because what survives
// depends only on the set of items offered, never on their arrival order, shards merge to the same
// result as a single run. Trimming is amortised: the list may grow to twice the cap between sorts.

export class EarliestList<T> {
  readonly #cap: number;
  readonly #compare: (a: T, b: T) => number;
  #items: T[] = [];
  #dropped = 0;

  constructor(cap: number, compare: (a: T, b: T) => number) {
    this.#cap = cap;
    this.#compare = compare;
  }

  add(item: T): void {
    this.#items.push(item);
    if (this.#items.length >= this.#cap * 2 + 1) this.#trim();
  }

  /** Items offered but not kept (the latest ones past the cap). */
  get dropped(): number {
    this.#trim();
    return this.#dropped;
  }

  addDropped(count: number): void {
    this.#dropped += count;
  }

  /** The kept items in order. */
  items(): readonly T[] {
    this.#trim();
    return this.#items;
  }

  #trim(): void {
    this.#items.sort(this.#compare);
    if (this.#items.length > this.#cap) {
      this.#dropped += this.#items.length - this.#cap;
      this.#items.length = this.#cap;
    }
  }
}
