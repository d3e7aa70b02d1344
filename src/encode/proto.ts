// OTLP protobuf encoders on protobufjs/minimal's Writer (no reflection, no codegen: Workers forbid
// eval). Field numbers are those of opentelemetry/proto/trace/v1/trace.proto, which Tempo's
// tempopb.Trace shares; TraceByIDResponse is Tempo's pkg/tempopb/tempo.proto.
import protobuf from "protobufjs/minimal.js";
import type { AttributeValue, Attributes, InstrumentationScope, Resource, Span } from "../model/span";
import { idToBytes } from "./bytes";
import { groupSpans, type ResourceGroup } from "./group";

type Writer = protobuf.Writer;

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

function tag(field: number, wireType: number): number {
  return ((field << 3) | wireType) >>> 0;
}

function writeString(w: Writer, field: number, value: string): void {
  if (value !== "") w.uint32(tag(field, LEN)).string(value);
}

function writeUint32(w: Writer, field: number, value: number): void {
  if (value !== 0) w.uint32(tag(field, VARINT)).uint32(value);
}

function writeFixed32(w: Writer, field: number, value: number): void {
  if (value !== 0) w.uint32(tag(field, FIXED32)).fixed32(value >>> 0);
}

/** fixed64 from a bigint, written as two little-endian halves so no precision is lost. */
function writeFixed64(w: Writer, field: number, value: bigint): void {
  if (value === 0n) return;
  const v = BigInt.asUintN(64, value);
  w.uint32(tag(field, FIXED64)).fixed32(Number(v & 0xffffffffn)).fixed32(Number(v >> 32n));
}

function writeId(w: Writer, field: number, id: string): void {
  if (id !== "") w.uint32(tag(field, LEN)).bytes(idToBytes(id));
}

function writeInt64(w: Writer, value: number | bigint): void {
  if (typeof value === "number") {
    w.int64(value);
    return;
  }
  const v = BigInt.asUintN(64, value);
  // LongBits.from accepts any {low, high} object, so no Long library is needed.
  w.int64({ low: Number(v & 0xffffffffn), high: Number(v >> 32n), unsigned: false } as unknown as number);
}

function writeAnyValue(w: Writer, value: AttributeValue): void {
  // Oneof members are written even when zero-valued: they carry the value's type.
  if (value === null) return;
  switch (typeof value) {
    case "string":
      w.uint32(tag(1, LEN)).string(value);
      return;
    case "boolean":
      w.uint32(tag(2, VARINT)).bool(value);
      return;
    case "bigint":
      w.uint32(tag(3, VARINT));
      writeInt64(w, value);
      return;
    case "number":
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
        w.uint32(tag(3, VARINT));
        writeInt64(w, value);
      } else {
        w.uint32(tag(4, FIXED64)).double(value);
      }
      return;
    default:
      break;
  }
  if (value instanceof Uint8Array) {
    w.uint32(tag(7, LEN)).bytes(value);
  } else if (Array.isArray(value)) {
    w.uint32(tag(5, LEN)).fork();
    for (const item of value) {
      w.uint32(tag(1, LEN)).fork();
      writeAnyValue(w, item);
      w.ldelim();
    }
    w.ldelim();
  } else {
    w.uint32(tag(6, LEN)).fork();
    writeAttributes(w, 1, value as Attributes);
    w.ldelim();
  }
}

/** Repeated KeyValue under `field`. */
function writeAttributes(w: Writer, field: number, attributes: Attributes): void {
  for (const [key, value] of attributes) {
    w.uint32(tag(field, LEN)).fork();
    writeString(w, 1, key);
    w.uint32(tag(2, LEN)).fork();
    writeAnyValue(w, value);
    w.ldelim();
    w.ldelim();
  }
}

function writeResource(w: Writer, resource: Resource): void {
  w.uint32(tag(1, LEN)).fork();
  writeAttributes(w, 1, resource.attributes);
  writeUint32(w, 2, resource.droppedAttributesCount);
  w.ldelim();
}

function writeScope(w: Writer, scope: InstrumentationScope): void {
  w.uint32(tag(1, LEN)).fork();
  writeString(w, 1, scope.name);
  writeString(w, 2, scope.version);
  writeAttributes(w, 3, scope.attributes);
  writeUint32(w, 4, scope.droppedAttributesCount);
  w.ldelim();
}

function writeSpan(w: Writer, span: Span): void {
  w.uint32(tag(2, LEN)).fork();
  writeId(w, 1, span.traceId);
  writeId(w, 2, span.spanId);
  writeString(w, 3, span.traceState);
  writeId(w, 4, span.parentSpanId);
  writeString(w, 5, span.name);
  writeUint32(w, 6, span.kind);
  writeFixed64(w, 7, span.startTimeUnixNano);
  writeFixed64(w, 8, span.endTimeUnixNano);
  writeAttributes(w, 9, span.attributes);
  writeUint32(w, 10, span.droppedAttributesCount);
  for (const event of span.events) {
    w.uint32(tag(11, LEN)).fork();
    writeFixed64(w, 1, event.timeUnixNano);
    writeString(w, 2, event.name);
    writeAttributes(w, 3, event.attributes);
    writeUint32(w, 4, event.droppedAttributesCount);
    w.ldelim();
  }
  writeUint32(w, 12, span.droppedEventsCount);
  for (const link of span.links) {
    w.uint32(tag(13, LEN)).fork();
    writeId(w, 1, link.traceId);
    writeId(w, 2, link.spanId);
    writeString(w, 3, link.traceState);
    writeAttributes(w, 4, link.attributes);
    writeUint32(w, 5, link.droppedAttributesCount);
    writeFixed32(w, 6, link.flags);
    w.ldelim();
  }
  writeUint32(w, 14, span.droppedLinksCount);
  w.uint32(tag(15, LEN)).fork();
  writeString(w, 2, span.status.message);
  writeUint32(w, 3, span.status.code);
  w.ldelim();
  writeFixed32(w, 16, span.flags);
  w.ldelim();
}

/** Repeated ResourceSpans under field 1 (TracesData, ExportTraceServiceRequest, tempopb.Trace). */
function writeResourceSpans(w: Writer, groups: readonly ResourceGroup[]): void {
  for (const group of groups) {
    w.uint32(tag(1, LEN)).fork();
    writeResource(w, group.resource);
    for (const scopeGroup of group.scopes) {
      w.uint32(tag(2, LEN)).fork();
      writeScope(w, scopeGroup.scope);
      for (const span of scopeGroup.spans) writeSpan(w, span);
      w.ldelim();
    }
    w.ldelim();
  }
}

function finish(w: Writer): Uint8Array {
  const out = w.finish();
  // Node's BufferWriter returns a Buffer; hand back a plain Uint8Array view everywhere.
  return out.constructor === Uint8Array ? out : new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** OTLP `TracesData` (same bytes as `ExportTraceServiceRequest` and Tempo's v1 protobuf body). */
export function encodeTracesDataProto(spans: readonly Span[]): Uint8Array {
  const w = new protobuf.Writer();
  writeResourceSpans(w, groupSpans(spans));
  return finish(w);
}

export interface TraceByIdResponseOptions {
  /** Mark the response PARTIAL (status = 1) with this message. */
  partialMessage?: string;
}

/**
 * Tempo `tempopb.TraceByIDResponse` ({1 trace, 2 metrics, 3 status, 4 message}), the
 * `/api/v2/traces/{id}` body for `Accept: application/protobuf`. The trace field is always
 * present (an empty Trace when there are no spans: Tempo's "not found").
 */
export function encodeTraceByIdResponseProto(spans: readonly Span[], options: TraceByIdResponseOptions = {}): Uint8Array {
  const w = new protobuf.Writer();
  w.uint32(tag(1, LEN)).fork();
  writeResourceSpans(w, groupSpans(spans));
  w.ldelim();
  if (options.partialMessage !== undefined) {
    writeUint32(w, 3, 1);
    writeString(w, 4, options.partialMessage);
  }
  return finish(w);
}
