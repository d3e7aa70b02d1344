// Decides whether a protobuf body is OTLP TracesData (= ExportTraceServiceRequest = tempopb.Trace,
// Tempo's v1 protobuf body) or Tempo's TraceByIDResponse (the v2 body). Both start with a
// length-delimited field 1, so:
//
//  1. A Content-Type naming the message wins: one containing "TraceByIDResponse" (for example
//     `application/protobuf; proto=tempopb.TraceByIDResponse`, as tracelint's Tempo client sends
//     it) → response; one naming "TracesData", "ExportTraceServiceRequest" or "tempopb.Trace"
//     → TracesData. Tempo itself answers both endpoints with plain `application/protobuf`.
//  2. Otherwise the structure decides. TracesData has only field 1; a response may carry fields
//     2 (metrics), 3 (status), 4 (message) → any of those means response.
//  3. Several field-1 values → TracesData (a response has one trace).
//  4. One field-1 value: look inside. A ResourceSpans has fields 2/3 (scopeSpans, schemaUrl) →
//     TracesData; a Trace has only repeated field 1 → response when it is empty (Tempo's
//     "not found" trace) or holds several; with exactly one, look one level deeper for a
//     ResourceSpans' length-delimited field 2 or 3 (a Resource has only field 1 and varint 2).
//  Anything that fails to scan is treated as TracesData, whose decoder then reports the damage.
import { LEN, Reader } from "./wire";

export type ProtoMessageKind = "traces-data" | "trace-by-id-response";

export function kindFromContentType(contentType: string | undefined): ProtoMessageKind | undefined {
  if (!contentType) return undefined;
  const lower = contentType.toLowerCase();
  if (lower.includes("tracebyidresponse")) return "trace-by-id-response";
  if (lower.includes("tracesdata") || lower.includes("exporttraceservicerequest") || /tempopb\.trace\b/.test(lower)) return "traces-data";
  return undefined;
}

interface FieldScan {
  field1Count: number;
  field1Start: number;
  field1End: number;
  /** Field 2 or 3 length-delimited was seen. */
  len2or3: boolean;
  /** Any field number other than 1. */
  otherFields: boolean;
}

function scanFields(r: Reader, start: number, end: number): FieldScan | undefined {
  const scan: FieldScan = { field1Count: 0, field1Start: 0, field1End: 0, len2or3: false, otherFields: false };
  r.pos = start;
  try {
    while (r.pos < end) {
      const tag = r.uint32();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field === 0) return undefined;
      if (wireType === LEN) {
        const length = r.uint32();
        const valueStart = r.pos;
        const valueEnd = valueStart + length;
        if (valueEnd > end) return undefined;
        r.pos = valueEnd;
        if (field === 1) {
          if (scan.field1Count++ === 0) {
            scan.field1Start = valueStart;
            scan.field1End = valueEnd;
          }
          continue;
        }
        if (field === 2 || field === 3) scan.len2or3 = true;
      } else {
        r.skipType(wireType, 0, field);
        if (r.pos > end) return undefined;
      }
      if (field !== 1) scan.otherFields = true;
    }
  } catch {
    return undefined;
  }
  return scan;
}

export function classifyProtobuf(bytes: Uint8Array, contentType?: string): ProtoMessageKind {
  const hinted = kindFromContentType(contentType);
  if (hinted) return hinted;
  const r = new Reader(bytes);
  const top = scanFields(r, 0, bytes.length);
  if (!top) return "traces-data";
  if (top.otherFields) return "trace-by-id-response";
  if (top.field1Count !== 1) return "traces-data";
  const inner = scanFields(r, top.field1Start, top.field1End);
  if (!inner) return "traces-data";
  if (inner.otherFields) return "traces-data";
  if (inner.field1Count !== 1) return "trace-by-id-response";
  const deep = scanFields(r, inner.field1Start, inner.field1End);
  return deep?.len2or3 ? "trace-by-id-response" : "traces-data";
}
