// Trace and span ID helpers. IDs travel as bytes (protobuf), hex (OTLP/JSON, search results) or
// base64 (Tempo's gogo-jsonpb JSON); everything is normalised to lower-case hex here.
import { redactText } from "../pii/redact";

export const TRACE_ID_HEX_LENGTH = 32;
export const SPAN_ID_HEX_LENGTH = 16;

const HEX_TABLE: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

export function bytesToHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = "";
  for (let i = start; i < end; i++) out += HEX_TABLE[bytes[i]!];
  return out;
}

// These run for every span ID of every trace (span-context checks, root detection), so they are
// char-code loops rather than regexes, and table look-ups rather than range tests: random hex
// digits make a digit-or-letter branch mispredict on about every other character (measured 2-3×
// slower than the table on 16-char IDs).

/** 1 for 0-9, a-f, A-F; 0 for every other code unit up to 127 (codes above are clamped to 127). */
const HEX_CODE = new Uint8Array(128);
for (const ch of "0123456789abcdefABCDEF") HEX_CODE[ch.charCodeAt(0)] = 1;

/** Only hex digits (either case); true for "". */
export function isHex(value: string): boolean {
  let ok = 1;
  for (let i = 0; i < value.length; i++) ok &= HEX_CODE[Math.min(value.charCodeAt(i), 127)]!;
  return ok === 1;
}

/** An ID made only of zeros (or empty) is "not set" in W3C trace context. */
export function isAllZeroId(hex: string): boolean {
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 48) return false;
  return true;
}

/** `length` hex digits (either case), not all zeros. */
function isValidHexId(hex: string, length: number): boolean {
  if (hex.length !== length) return false;
  let ok = 1;
  let nonZero = 0;
  for (let i = 0; i < length; i++) {
    const c = hex.charCodeAt(i);
    ok &= HEX_CODE[Math.min(c, 127)]!;
    nonZero |= c ^ 48;
  }
  return ok === 1 && nonZero !== 0;
}

/** True for a well-formed, non-zero trace ID (32 lower-case hex chars). */
export function isValidTraceId(hex: string): boolean {
  return isValidHexId(hex, TRACE_ID_HEX_LENGTH);
}

/** True for a well-formed, non-zero span ID (16 lower-case hex chars). */
export function isValidSpanId(hex: string): boolean {
  return isValidHexId(hex, SPAN_ID_HEX_LENGTH);
}

/**
 * Normalises a hex trace ID: lower case, left-padded to 32 chars. Tempo search results strip
 * leading zeros and 64-bit (Jaeger/Zipkin) IDs are 16 chars; both compare equal after this.
 * Longer or non-hex input is returned lower-cased so that validity rules can still flag it.
 */
export function normalizeTraceId(hex: string): string {
  const lower = hex.toLowerCase();
  if (lower.length < TRACE_ID_HEX_LENGTH && isHex(lower)) {
    return lower.padStart(TRACE_ID_HEX_LENGTH, "0");
  }
  return lower;
}

export function traceIdFromBytes(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return normalizeTraceId(bytesToHex(bytes, start, end));
}

function base64ToBytes(value: string): Uint8Array | undefined {
  if (!BASE64_RE.test(value)) return undefined;
  const standard = value.replace(/-/g, "+").replace(/_/g, "/");
  try {
    const binary = atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, "="));
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

export type IdEncoding = "hex" | "base64" | "empty" | "malformed";

export interface DecodedId {
  /** Lower-case hex of the decoded bytes; for malformed input, the raw text lower-cased. */
  hex: string;
  encoding: IdEncoding;
}

/**
 * Decodes an ID from a JSON document of unknown flavour. Hex of the expected length wins (OTLP/JSON,
 * and hand-written Tempo bodies whose "base64" is really hex); otherwise base64 is tried and its
 * decoded length checked, because any hex string is also valid base64 of the wrong length.
 * `expectedBytes` is 16 for trace IDs, 8 for span IDs; 8-byte trace IDs are accepted and padded.
 */
export function decodeJsonId(text: string, expectedBytes: 8 | 16): DecodedId {
  if (text === "") return { hex: "", encoding: "empty" };
  const hexOk = isHex(text);
  if (hexOk && (text.length === expectedBytes * 2 || (expectedBytes === 16 && text.length === 16))) {
    return { hex: expectedBytes === 16 ? normalizeTraceId(text) : text.toLowerCase(), encoding: "hex" };
  }
  const bytes = base64ToBytes(text);
  if (bytes && (bytes.length === expectedBytes || (expectedBytes === 16 && bytes.length === 8))) {
    const hex = bytesToHex(bytes);
    return { hex: expectedBytes === 16 ? normalizeTraceId(hex) : hex, encoding: "base64" };
  }
  if (expectedBytes === 16 && hexOk && text.length < expectedBytes * 2 && text.length > 0) {
    // Short hex (leading zeros stripped, as Tempo search does for trace IDs). Span IDs are never
    // stripped, so a short one stays malformed instead of being padded into a valid-looking ID.
    return { hex: text.toLowerCase().padStart(expectedBytes * 2, "0"), encoding: "hex" };
  }
  // Quoted in reports as the malformed ID: personal data masked, and at most 64 characters.
  return { hex: redactText(text).slice(0, MAX_MALFORMED_ID).toLowerCase(), encoding: "malformed" };
}

const MAX_MALFORMED_ID = 64;
