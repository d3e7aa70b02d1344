// Protobuf input: OTLP TracesData / ExportTraceServiceRequest / tempopb.Trace (`otlp-proto`) and
// Tempo's TraceByIDResponse (`tempo-proto`), decoded in one pass into the span model.
// Which of the two a body is: see protobuf/classify.ts.
import type { Span } from "../model/span";
import { classifyProtobuf } from "./protobuf/classify";
import { readResourceSpans, TAGS } from "./protobuf/messages";
import { asWireError, readEnd, readString, readUint32, Reader, skipField, withPath } from "./protobuf/wire";
import { checkSpanLimit, DecodeError, SpanLimitError, type DecodedInput } from "./types";

const TRACES_DATA_FIELDS = 1 << 1;
const RESPONSE_FIELDS = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4);
const PARTIAL = 1;

interface BatchTally {
  batches: number;
  failed: number;
  firstProblem: string;
}

/** Repeated ResourceSpans (field 1) between r.pos and end; a broken batch is skipped and reported. */
function readBatches(r: Reader, view: DataView, end: number, basePath: string, result: DecodedInput, tally: BatchTally, maxSpans: number): void {
  const spans: Span[] = result.spans;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag !== TAGS.F1_LEN) {
      skipField(r, tag, TRACES_DATA_FIELDS, end);
      continue;
    }
    const index = tally.batches++;
    let batchEnd: number;
    try {
      batchEnd = readEnd(r, end);
    } catch (error) {
      // The batch's own length is broken (a truncated upload, say): there is no way to find the
      // next one. Batches read before it are kept, as JSON Lines keeps its good lines; with none
      // read, the body is not protobuf of this kind at all.
      const problem = withPath(error, r, `${basePath}[${index}]`);
      if (tally.batches - 1 === tally.failed) throw problem;
      tally.batches--;
      result.errors.push(`${problem.detail} (the rest of the input skipped)`);
      r.pos = end;
      return;
    }
    const mark = spans.length;
    try {
      readResourceSpans(r, view, batchEnd, spans);
    } catch (error) {
      spans.length = mark;
      r.pos = batchEnd;
      const problem = withPath(error, r, `${basePath}[${index}]`).detail;
      if (tally.failed++ === 0) tally.firstProblem = problem;
      result.errors.push(`${problem} (batch skipped)`);
    }
    checkSpanLimit(spans, maxSpans);
  }
}

function decode(r: Reader, bytes: Uint8Array, result: DecodedInput, tally: BatchTally, asResponse: boolean, maxSpans: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  if (!asResponse) {
    readBatches(r, view, end, "resourceSpans", result, tally, maxSpans);
    return;
  }
  let sawTrace = false;
  let status = 0;
  let message = "";
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === TAGS.F1_LEN) {
      sawTrace = true;
      let traceEnd: number;
      try {
        traceEnd = readEnd(r, end);
      } catch (error) {
        throw withPath(error, r, "trace");
      }
      readBatches(r, view, traceEnd, "trace.resourceSpans", result, tally, maxSpans);
    } else if (tag === TAGS.F3_VARINT) status = readUint32(r, end);
    else if (tag === TAGS.F4_LEN) message = readString(r, end);
    else skipField(r, tag, RESPONSE_FIELDS & ~(1 << 2), end); // field 2 (metrics) is skipped as unknown
  }
  if (status === PARTIAL) result.partial = { reason: message || "Tempo returned a partial trace" };
  if (!sawTrace || tally.batches === 0) result.notFound = true;
}

/**
 * Decodes a protobuf trace body. Throws DecodeError (naming the message path and byte offset) when
 * the body is not protobuf or its framing is broken; a damaged ResourceSpans is skipped and listed
 * in `errors`, unless every batch is damaged.
 */
export function decodeProtobuf(bytes: Uint8Array, raw: number, contentType?: string, maxSpans = Infinity): DecodedInput {
  const asResponse = classifyProtobuf(bytes, contentType) === "trace-by-id-response";
  const result: DecodedInput = {
    format: asResponse ? "tempo-proto" : "otlp-proto",
    spans: [],
    errors: [],
    warnings: [],
    bytes: { raw, decoded: bytes.byteLength },
  };
  const tally: BatchTally = { batches: 0, failed: 0, firstProblem: "" };
  const r = new Reader(bytes);
  try {
    decode(r, bytes, result, tally, asResponse, maxSpans);
  } catch (error) {
    if (error instanceof SpanLimitError) throw error;
    const wire = asWireError(error, r);
    throw new DecodeError(`not a valid ${asResponse ? "Tempo TraceByIDResponse" : "OTLP trace"} protobuf: ${wire.detail}`);
  }
  if (!asResponse && tally.batches === 0) {
    throw new DecodeError(`not an OTLP trace protobuf: no ResourceSpans (field 1) in ${bytes.byteLength} bytes`);
  }
  if (tally.batches > 0 && tally.failed === tally.batches) {
    const more = tally.failed > 1 ? ` (and ${tally.failed - 1} more damaged batches)` : "";
    throw new DecodeError(`no readable ResourceSpans: ${tally.firstProblem}${more}`);
  }
  return result;
}
