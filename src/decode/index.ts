// Entry point for decoding any supported input: gunzip when the bytes say gzip (magic 1f 8b), then
// pick JSON or protobuf by sniffing the first byte. Content-Type and file names are hints only,
// because S3 objects stored with `Content-Encoding: gzip` may arrive already inflated.
import { decodeJson } from "./json";
import { decodeProtobuf } from "./protobuf";
import { DecodeError, type DecodedInput, type DecodeOptions } from "./types";

export { DecodeError } from "./types";
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
        throw new DecodeError(`gzip body inflates to more than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError(`corrupt gzip data (${(error as Error).message})`);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
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

/**
 * Decodes one input of any supported format. Throws DecodeError (with a message naming what is
 * wrong, prefixed by `options.name`) when nothing in it can be read; partial damage is reported in
 * `errors` and the rest is returned.
 */
export async function decodeInput(input: Uint8Array, options: DecodeOptions): Promise<DecodedInput> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  try {
    if (input.byteLength > maxBytes) throw new DecodeError(`input is ${input.byteLength} bytes, over the ${maxBytes}-byte limit`);
    const bytes = isGzip(input) ? await gunzip(input, maxBytes) : input;
    const first = firstSignificantByte(bytes);
    if (first === undefined) throw new DecodeError("input is empty");
    let result: DecodedInput;
    if (first === 0x7b /* { */ || first === 0x5b /* [ */) {
      result = decodeJson(utf8.decode(bytes), input.byteLength);
    } else if (first === 0x3c /* < */) {
      throw new DecodeError("input looks like HTML or XML, not trace data (a login page or proxy error?)");
    } else {
      result = decodeProtobuf(bytes, input.byteLength, options.contentType);
    }
    result.bytes = { raw: input.byteLength, decoded: bytes.byteLength };
    return result;
  } catch (error) {
    if (error instanceof DecodeError) throw new DecodeError(`${options.name}: ${error.message}`);
    throw error;
  }
}
