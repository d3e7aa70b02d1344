// HyperLogLog (Flajolet et al. 2007) over 64-bit hashes: fixed-size registers, mergeable by
// register-wise max, JSON-serialisable as base64. With 2^p registers the standard error is
// 1.04/sqrt(2^p) (p = 12: about 1.6 %).
import type { Hash64 } from "./hash";

export interface HyperLogLogState {
  p: number;
  /** base64 of the 2^p register bytes. */
  registers: string;
}

export class HyperLogLog {
  readonly p: number;
  readonly #registers: Uint8Array;

  constructor(p = 12, registers?: Uint8Array) {
    if (!Number.isInteger(p) || p < 4 || p > 16) throw new RangeError(`HyperLogLog precision must be 4..16, got ${p}`);
    this.p = p;
    const m = 1 << p;
    if (registers && registers.length !== m) throw new RangeError(`HyperLogLog state has ${registers.length} registers, expected ${m}`);
    this.#registers = registers ? Uint8Array.from(registers) : new Uint8Array(m);
  }

  add(hash: Hash64): void {
    // Index from the top p bits of `hi`; rank from the remaining 32 - p bits of `hi`, then `lo`.
    const index = hash.hi >>> (32 - this.p);
    const restHi = (hash.hi << this.p) >>> 0;
    let rank: number;
    if (restHi !== 0) rank = Math.clz32(restHi) + 1;
    else rank = 32 - this.p + (hash.lo !== 0 ? Math.clz32(hash.lo) + 1 : 33);
    if (rank > this.#registers[index]!) this.#registers[index] = rank;
  }

  estimate(): number {
    const m = this.#registers.length;
    let sum = 0;
    let zeros = 0;
    for (const r of this.#registers) {
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const alpha = m === 16 ? 0.673 : m === 32 ? 0.697 : m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / m);
    const raw = (alpha * m * m) / sum;
    // Small range: linear counting is far more accurate while registers are still empty.
    if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
    return Math.round(raw);
  }

  merge(other: HyperLogLog): void {
    if (other.p !== this.p) throw new RangeError(`cannot merge HyperLogLog p=${other.p} into p=${this.p}`);
    const theirs = other.#registers;
    for (let i = 0; i < theirs.length; i++) if (theirs[i]! > this.#registers[i]!) this.#registers[i] = theirs[i]!;
  }

  toJSON(): HyperLogLogState {
    let binary = "";
    for (const b of this.#registers) binary += String.fromCharCode(b);
    return { p: this.p, registers: btoa(binary) };
  }

  static fromJSON(state: HyperLogLogState): HyperLogLog {
    const binary = atob(state.registers);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new HyperLogLog(state.p, bytes);
  }
}
