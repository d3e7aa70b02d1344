// Low-level wire helpers on protobufjs/minimal's Reader (no reflection, no codegen: Workers forbid
// eval). Everything here reads straight from the reader's buffer and position; errors carry the
// byte offset so that the decoder can name where the data broke.
import protobuf from "protobufjs/minimal.js";
import { bytesToHex, traceIdFromBytes } from "../../model/ids";

export type Reader = protobuf.Reader;
export const Reader = protobuf.Reader;

export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;
export const FIXED32 = 5;

/** A wire-level problem at `offset`; `path` is filled in by the callers as the error travels up. */
export class WireError extends Error {
  constructor(
    readonly problem: string,
    readonly offset: number,
    public path = "",
  ) {
    super(problem);
  }
  get detail(): string {
    return `${this.path ? `${this.path}: ` : ""}${this.problem} at byte ${this.offset}`;
  }
}

/** Turns whatever the reader threw (RangeError "index out of range", "invalid wire type") into a WireError. */
export function asWireError(error: unknown, r: Reader): WireError {
  if (error instanceof WireError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith("index out of range")) return new WireError("truncated", Math.min(r.pos, r.len));
  if (message.startsWith("invalid wire type")) return new WireError(message.replace(/ at offset \d+$/, ""), r.pos);
  return new WireError(message, r.pos);
}

/** Prefixes `segment` to the error's message path (innermost first, so callers prepend). */
export function withPath(error: unknown, r: Reader, segment: string): WireError {
  const wire = asWireError(error, r);
  wire.path = wire.path ? (wire.path.startsWith("[") ? `${segment}${wire.path}` : `${segment}.${wire.path}`) : segment;
  return wire;
}

/** Reads a length prefix and returns where the length-delimited value ends, checked against `end`. */
export function readEnd(r: Reader, end: number): number {
  const at = r.pos;
  const length = r.uint32();
  const valueEnd = r.pos + length;
  if (valueEnd > r.len) throw new WireError(`length ${length} runs past the end of the data (truncated)`, at);
  if (valueEnd > end) throw new WireError(`length ${length} runs past the end of its enclosing message`, at);
  return valueEnd;
}

/** Checks that a message's fields ended exactly at its declared end. */
export function expectEnd(r: Reader, end: number): void {
  if (r.pos !== end) throw new WireError("field runs past the end of its enclosing message", end);
}

/**
 * Skips a field this decoder does not know. A known field number with an unexpected wire type is
 * an error, not something to skip: `knownMask` has bit N set for each known field number N < 32.
 */
export function skipField(r: Reader, tag: number, knownMask: number, end: number): void {
  const field = tag >>> 3;
  const wireType = tag & 7;
  const at = r.pos;
  if (field === 0) throw new WireError("invalid field number 0", at);
  if (field < 32 && (knownMask & (1 << field)) !== 0) {
    throw new WireError(`field ${field} has wire type ${wireType}, which it never uses`, at);
  }
  if (wireType === LEN) {
    r.pos = readEnd(r, end);
    return;
  }
  r.skipType(wireType, 0, field);
  if (r.pos > end) throw new WireError("field runs past the end of its enclosing message", at);
}

const utf8 = new TextDecoder("utf-8");

// Short strings repeat endlessly in trace data (attribute keys, service names, methods, routes).
// A small direct-mapped cache keyed by a hash of the bytes returns the same string instead of
// allocating a new one each time: most of the decoder's cost is garbage collection otherwise.
const CACHE_SIZE = 4096;
const CACHED_MAX_BYTES = 40;
const stringCache: (string | undefined)[] = new Array<string | undefined>(CACHE_SIZE).fill(undefined);
const charCodes: number[][] = Array.from({ length: CACHED_MAX_BYTES + 1 }, (_, n) => new Array<number>(n).fill(0));

/** Decodes buf[start, stop) as UTF-8, through the cache when short and ASCII. */
function decodeUtf8(buf: Uint8Array, start: number, stop: number): string {
  const length = stop - start;
  if (length === 0) return "";
  if (length > CACHED_MAX_BYTES) return utf8.decode(buf.subarray(start, stop));
  let hash = 0x811c9dc5;
  for (let i = start; i < stop; i++) {
    const b = buf[i]!;
    if (b >= 0x80) return utf8.decode(buf.subarray(start, stop));
    hash = Math.imul(hash ^ b, 0x01000193);
  }
  const slot = (hash ^ (hash >>> 15)) & (CACHE_SIZE - 1);
  const cached = stringCache[slot];
  if (cached !== undefined && cached.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (cached.charCodeAt(i) !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return cached;
  }
  const codes = charCodes[length]!;
  for (let i = 0; i < length; i++) codes[i] = buf[start + i]!;
  const value = String.fromCharCode.apply(null, codes);
  stringCache[slot] = value;
  return value;
}

/** A length-delimited UTF-8 string. */
export function readString(r: Reader, end: number): string {
  const stop = readEnd(r, end);
  const start = r.pos;
  r.pos = stop;
  return decodeUtf8(r.buf, start, stop);
}

// Hex through a char-code table into a reused array: one string allocation per ID.
const HEX_CODES: number[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0")).flatMap((pair) => [
  pair.charCodeAt(0),
  pair.charCodeAt(1),
]);
const hexCodes16 = new Array<number>(32).fill(0);
const hexCodes8 = new Array<number>(16).fill(0);

function fastHex(buf: Uint8Array, start: number, codes: number[]): string {
  for (let i = 0, j = 0; j < codes.length; i++, j += 2) {
    const b = buf[start + i]! << 1;
    codes[j] = HEX_CODES[b]!;
    codes[j + 1] = HEX_CODES[b + 1]!;
  }
  return String.fromCharCode.apply(null, codes);
}

// Every span of a trace carries the same trace ID, and every parent ID is some span's ID: a small
// direct-mapped cache of recent IDs (slot chosen by a hash of the bytes, bytes kept to compare)
// hands back the same string instead of a fresh copy. Fewer strings to keep, and the grouping map
// and the span-by-ID indexes compare identical strings by pointer instead of char by char.
const ID_CACHE_SIZE = 8192;

class IdCache {
  readonly #bytes: Uint8Array;
  readonly #strings: (string | undefined)[] = new Array<string | undefined>(ID_CACHE_SIZE).fill(undefined);
  constructor(
    readonly width: number,
    readonly codes: number[],
  ) {
    this.#bytes = new Uint8Array(ID_CACHE_SIZE * width);
  }

  hex(buf: Uint8Array, start: number): string {
    const width = this.width;
    let hash = 0x811c9dc5;
    for (let i = 0; i < width; i++) hash = Math.imul(hash ^ buf[start + i]!, 0x01000193);
    const slot = (hash ^ (hash >>> 15)) & (ID_CACHE_SIZE - 1);
    const bytes = this.#bytes;
    const base = slot * width;
    const cached = this.#strings[slot];
    if (cached !== undefined) {
      let same = true;
      for (let i = 0; i < width; i++) {
        if (bytes[base + i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return cached;
    }
    for (let i = 0; i < width; i++) bytes[base + i] = buf[start + i]!;
    const value = fastHex(buf, start, this.codes);
    this.#strings[slot] = value;
    return value;
  }
}

const traceIds = new IdCache(16, hexCodes16);
const spanIds = new IdCache(8, hexCodes8);

/**
 * A trace ID as normalised lower-case hex; a zero-length field is "" (as an absent one). 16-byte
 * IDs are already normal; other lengths (64-bit Jaeger IDs, junk) go through traceIdFromBytes.
 */
export function readTraceId(r: Reader, end: number): string {
  const stop = readEnd(r, end);
  const start = r.pos;
  r.pos = stop;
  const length = stop - start;
  if (length === 16) return traceIds.hex(r.buf, start);
  return length === 0 ? "" : traceIdFromBytes(r.buf, start, stop);
}

/** A span ID as lower-case hex. */
export function readSpanId(r: Reader, end: number): string {
  const stop = readEnd(r, end);
  const start = r.pos;
  r.pos = stop;
  return stop - start === 8 ? spanIds.hex(r.buf, start) : bytesToHex(r.buf, start, stop);
}

/** A copy of a bytes field (a view would keep the whole input buffer alive). */
export function readBytesCopy(r: Reader, end: number): Uint8Array {
  const stop = readEnd(r, end);
  const out = r.buf.slice(r.pos, stop);
  r.pos = stop;
  return out;
}

/** fixed64 as an exact bigint (protobufjs without long.js would round it to a double). */
export function readFixed64(r: Reader, view: DataView, end: number): bigint {
  const at = r.pos;
  if (at + 8 > end) throw new WireError(at + 8 > r.len ? "truncated" : "field runs past the end of its enclosing message", at);
  r.pos = at + 8;
  return view.getBigUint64(at, true);
}

export function readFixed32(r: Reader, end: number): number {
  const at = r.pos;
  if (at + 4 > end) throw new WireError(at + 4 > r.len ? "truncated" : "field runs past the end of its enclosing message", at);
  return r.fixed32();
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * int64 varint, exact: a number when it fits a double exactly (like the JSON decoder), else a
 * bigint. Reads the two 32-bit halves by hand; protobufjs would need long.js for this.
 */
export function readInt64(r: Reader, end: number): number | bigint {
  const buf = r.buf;
  let pos = r.pos;
  const at = pos;
  let lo = 0;
  let hi = 0;
  let b = 0;
  let shift = 0;
  for (; shift < 28; shift += 7) {
    if (pos >= end) throw new WireError("truncated varint", at);
    b = buf[pos++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      r.pos = pos;
      return lo >>> 0;
    }
  }
  if (pos >= end) throw new WireError("truncated varint", at);
  b = buf[pos++]!;
  lo |= (b & 0x0f) << 28;
  hi = (b & 0x7f) >> 4;
  if (b >= 0x80) {
    for (shift = 3; ; shift += 7) {
      if (shift > 31) throw new WireError("varint longer than 10 bytes", at);
      if (pos >= end) throw new WireError("truncated varint", at);
      b = buf[pos++]!;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
  }
  r.pos = pos;
  lo >>>= 0;
  hi >>>= 0;
  if (hi < 0x200000) return hi * 4294967296 + lo;
  const value = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value;
}

/** uint32 varint bounded by `end`. */
export function readUint32(r: Reader, end: number): number {
  const at = r.pos;
  const value = r.uint32();
  if (r.pos > end) throw new WireError("field runs past the end of its enclosing message", at);
  return value;
}
