// Deterministic, runtime-neutral string hashing for sketches: two independent 32-bit MurmurHash3
// values over the UTF-8 bytes. Together they act as a 64-bit hash, so exact sets can keep hashes
// instead of raw strings (span names may hold PII) and HyperLogLog never runs out of rank bits.

const utf8 = new TextEncoder();
const SEED_A = 0x2f6b_1a3d;
const SEED_B = 0x9747_b28c;

function murmur3(bytes: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // Tail bytes (1–3), little-endian, as MurmurHash3 mixes them.
  const tail = bytes.length & 3;
  if (tail > 0) {
    let k = 0;
    for (let j = tail - 1; j >= 0; j--) k = (k << 8) | bytes[blocks + j]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface Hash64 {
  /** High 32 bits (unsigned). */
  hi: number;
  /** Low 32 bits (unsigned). */
  lo: number;
}

export function hash64(text: string): Hash64 {
  const bytes = utf8.encode(text);
  return { hi: murmur3(bytes, SEED_A), lo: murmur3(bytes, SEED_B) };
}

/** 16 lower-case hex chars: the form exact sets store. */
export function hashHex(hash: Hash64): string {
  return hash.hi.toString(16).padStart(8, "0") + hash.lo.toString(16).padStart(8, "0");
}

export function parseHashHex(hex: string): Hash64 {
  return { hi: Number.parseInt(hex.slice(0, 8), 16) >>> 0, lo: Number.parseInt(hex.slice(8, 16), 16) >>> 0 };
}
