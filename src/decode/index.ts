// Entry point for decoding any supported input: gunzip when the bytes say gzip (magic 1f 8b), then
// pick JSON or protobuf by sniffing the first byte. Content-Type and file names are hints only,
// because S3 objects stored with `Content-Encoding: gzip` may arrive already inflated.
import { decodeJson } from "./json";
import { decodeProtobuf } from "./protobuf";
import { DecodeError, SpanLimitError, type DecodedInput, type DecodeOptions } from "./types";
import { concatChunks } from "../util/bytes";

export { DecodeError, SpanLimitError } from "./types";
export type { DecodedInput, DecodeOptions, InputFormat } from "./types";

const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Inflates gzip with the web-standard DecompressionStream (Node 20 and workerd), capped at maxBytes. */
export async function gunzip(bytes: Uint8Array, maxBytes = DEFAULT_MAX_BYTES): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw new DecodeError(`gzip body inflates to more than ${formatBytes(maxBytes)}`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError(`corrupt gzip data (${(error as Error).message})`);
  }
  return concatChunks(chunks, total);
}

function firstSignificantByte(bytes: Uint8Array): number | undefined {
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3; // UTF-8 BOM
  for (; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  }
  return undefined;
}

const utf8 = new TextDecoder("utf-8");

/** Bytes of the head inspected by looksLikeText: enough for an error page's first lines. */
const TEXT_SAMPLE_BYTES = 4096;
/** Every OTLP protobuf has a tag or length byte that is a control char or invalid UTF-8 this early. */
const TEXT_CLEAN_HEAD_CHARS = 64;

/** C0 controls other than tab/newline/CR/escape (ANSI colours in logs), DEL, and U+FFFD (invalid UTF-8). */
function isNonText(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d && code !== 0x1b) || code === 0x7f || code === 0xfffd;
}

/**
 * True when the head of the bytes reads as text (an error page piped in, a log): its first
 * characters are all printable and at most 1 % of the sample is not. Protobuf fails this at once:
 * its field tags and lengths (0x12, 0x0c, multi-byte varints) are control chars or invalid UTF-8.
 */
export function looksLikeText(bytes: Uint8Array): boolean {
  // stream: a multi-byte character cut at the sample's end is held back, not counted as invalid.
  const sample = new TextDecoder("utf-8").decode(bytes.subarray(0, TEXT_SAMPLE_BYTES), { stream: true });
  let nonText = 0;
  let chars = 0;
  for (const char of sample) {
    const bad = isNonText(char.codePointAt(0)!);
    if (bad && chars < TEXT_CLEAN_HEAD_CHARS) return false;
    if (bad) nonText++;
    chars++;
  }
  return chars > 0 && nonText * 100 <= chars;
}

/**
 * True when the first byte can start a trace protobuf: a one-byte field tag (field 1–15) with a
 * wire type proto3 uses (varint, fixed64, length-delimited, fixed32). Anything else (field 0,
 * group wire types, a tag above field 15) is some other binary file, not a damaged trace.
 */
function startsLikeProtobuf(first: number): boolean {
  const wireType = first & 7;
  return first < 0x80 && first >> 3 >= 1 && (wireType === 0 || wireType === 1 || wireType === 2 || wireType === 5);
}

/** `512 MiB`, `100 bytes`: limits as people write them. */
function formatBytes(n: number): string {
  for (const [unit, size] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}

/**
 * Decodes one input of any supported format. Throws DecodeError (with a message naming what is
 * wrong, prefixed by `options.name`) when nothing in it can be read; partial damage is reported in
 * `errors` and the rest is returned.
 */
export async function decodeInput(input: Uint8Array, options: DecodeOptions): Promise<DecodedInput> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  try {
    if (input.byteLength > maxBytes) throw new DecodeError(`input is ${input.byteLength} bytes, over the limit of ${formatBytes(maxBytes)}`);
    const bytes = isGzip(input) ? await gunzip(input, maxBytes) : input;
    const first = firstSignificantByte(bytes);
    if (first === undefined) throw new DecodeError("input is empty");
    let result: DecodedInput;
    if (first === 0x7b /* { */ || first === 0x5b /* [ */) {
      result = decodeJson(utf8.decode(bytes), input.byteLength, options.maxSpans);
    } else if (first === 0x3c /* < */) {
      throw new DecodeError("input looks like HTML or XML, not trace data (a login page or proxy error?)");
    } else if (looksLikeText(bytes)) {
      // Never quoted: a piped error page or log may hold anything, PII included.
      throw new DecodeError("not a trace format: looks like plain text (an error page or log?)");
    } else if (!startsLikeProtobuf(bytes[0]!)) {
      throw new DecodeError(
        `not a trace format: binary data that is neither JSON nor protobuf (first byte 0x${bytes[0]!.toString(16).padStart(2, "0")}; OTLP protobuf starts with 0x0a)`,
      );
    } else {
      result = decodeProtobuf(bytes, input.byteLength, options.contentType, options.maxSpans);
    }
    result.bytes = { raw: input.byteLength, decoded: bytes.byteLength };
    return result;
  } catch (error) {
    if (error instanceof SpanLimitError) throw error;
    if (error instanceof DecodeError) throw new DecodeError(`${options.name}: ${error.message}`);
    throw error;
  }
}
