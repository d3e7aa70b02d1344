// Counts distinct strings with bounded memory: exact (a set of 64-bit hashes, never the strings
// themselves) up to `exactCap`, then a HyperLogLog. Mergeable and JSON-serialisable, so shards can
// be combined; the merged count is exact while the union stays under the cap.
import { hash64, hashHex, parseHashHex, type Hash64 } from "./hash";
import { HyperLogLog, type HyperLogLogState } from "./hyperloglog";

export type DistinctCounterState = { exact: string[] } | { hll: HyperLogLogState };

export interface DistinctCounterOptions {
  /** Distinct values counted exactly before switching to the sketch. */
  exactCap: number;
  /** HyperLogLog precision used after the switch. */
  precision: number;
}

export class DistinctCounter {
  readonly #options: DistinctCounterOptions;
  #exact: Set<string> | undefined = new Set();
  #sketch: HyperLogLog | undefined;

  constructor(options: DistinctCounterOptions) {
    this.#options = options;
  }

  add(value: string): void {
    this.addHash(hash64(value));
  }

  /** `hex` (= hashHex(hash)) may be passed when the caller has it already (memoised per name). */
  addHash(hash: Hash64, hex?: string): void {
    if (this.#exact) {
      this.#exact.add(hex ?? hashHex(hash));
      if (this.#exact.size > this.#options.exactCap) this.#toSketch();
    } else {
      this.#sketch!.add(hash);
    }
  }

  /** Distinct values seen; an estimate once `isExact` is false. */
  get count(): number {
    return this.#exact ? this.#exact.size : this.#sketch!.estimate();
  }

  get isExact(): boolean {
    return this.#exact !== undefined;
  }

  #toSketch(): void {
    const sketch = new HyperLogLog(this.#options.precision);
    for (const hex of this.#exact!) sketch.add(parseHashHex(hex));
    this.#exact = undefined;
    this.#sketch = sketch;
  }

  merge(state: DistinctCounterState): void {
    if ("exact" in state) {
      for (const hex of state.exact) this.addHash(parseHashHex(hex));
      return;
    }
    if (this.#exact) this.#toSketch();
    this.#sketch!.merge(HyperLogLog.fromJSON(state.hll));
  }

  snapshot(): DistinctCounterState {
    return this.#exact ? { exact: [...this.#exact].sort() } : { hll: this.#sketch!.toJSON() };
  }

  static from(state: DistinctCounterState, options: DistinctCounterOptions): DistinctCounter {
    const counter = new DistinctCounter(options);
    counter.merge(state);
    return counter;
  }
}
