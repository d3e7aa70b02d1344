// The one interface every input decoder implements: bytes in, canonical spans out.
import type { Span } from "../model/span";

export type InputFormat =
  | "otlp-json" // ExportTraceServiceRequest / TracesData as OTLP/JSON (hex IDs, integer enums)
  | "tempo-json" // Tempo API JSON: gogo-jsonpb (base64 IDs, string enums), v1 `batches` or v2 `trace`
  | "otlp-proto" // ExportTraceServiceRequest / TracesData / tempopb.Trace protobuf
  | "tempo-proto"; // tempopb.TraceByIDResponse protobuf

export interface DecodedInput {
  format: InputFormat;
  spans: Span[];
  /** Set when the source says it returned only part of the trace (Tempo v2 `status: PARTIAL`). */
  partial?: { reason: string };
  /** Tempo v2 answers an unknown trace ID with 200 and an empty trace. */
  notFound?: boolean;
  /** Parts (batches, JSON lines) that could not be decoded; the rest was kept. */
  errors: string[];
  /** Oddities that did not stop decoding (e.g. hex IDs in a base64 document). */
  warnings: string[];
  /** Compressed and decompressed sizes, for reports about bytes read. */
  bytes: { raw: number; decoded: number };
}

export interface DecodeOptions {
  /** Name used in error messages (file path, object key, URL). */
  name: string;
  /** HTTP Content-Type, when known; a hint only — the bytes decide. */
  contentType?: string;
  /** Refuse inputs larger than this after decompression (default 512 MiB). */
  maxBytes?: number;
  /**
   * Refuse inputs holding more spans than this (SpanLimitError), checked after each batch, so that
   * one huge input cannot exhaust memory. Unlimited when absent.
   */
  maxSpans?: number;
}

/** A whole input could not be decoded. The message says what is wrong, never with raw values. */
export class DecodeError extends Error {
  override name = "DecodeError";
}

/** An input holds more spans than `DecodeOptions.maxSpans`; decoding stopped there. */
export class SpanLimitError extends DecodeError {
  override name = "SpanLimitError";
  constructor(readonly limit: number) {
    super(`holds more than ${limit} spans, over the span limit`);
  }
}

/** Throws SpanLimitError once `spans` holds more than `limit` (called after each decoded batch). */
export function checkSpanLimit(spans: readonly unknown[], limit: number): void {
  if (spans.length > limit) throw new SpanLimitError(limit);
}
