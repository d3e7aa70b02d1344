// Decodes OTLP trace messages (trace.proto, common.proto, resource.proto; Tempo's tempopb copies
// share every field number) straight into the canonical Span model: one pass, no intermediate
// objects, no per-field closures. Field numbers were checked against the OTLP protos and the
// @opentelemetry/otlp-transformer serializer.
import {
  emptyAttributes,
  serviceNameOf,
  type AttributeValue,
  type Attributes,
  type InstrumentationScope,
  type Resource,
  type Span,
  type SpanEvent,
  type SpanKind,
  type SpanLink,
  type SpanStatus,
  type StatusCode,
} from "../../model/span";
import {
  expectEnd,
  readBytesCopy,
  readEnd,
  readFixed32,
  readFixed64,
  readInt64,
  readSpanId,
  readString,
  readTraceId,
  readUint32,
  skipField,
  WireError,
  withPath,
  type Reader,
} from "./wire";

/** tag = field number << 3 | wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32). */
const F1_LEN = 10;
const F2_LEN = 18;
const F3_LEN = 26;
const F4_LEN = 34;
const F5_LEN = 42;
const F6_LEN = 50;
const F7_LEN = 58;
const F2_VARINT = 16;
const F3_VARINT = 24;
const F4_VARINT = 32;
const F5_VARINT = 40;
const F4_FIXED64 = 33;
const F6_FIXED32 = 53;
const F1_FIXED64 = 9;

const SPAN_TRACE_ID = F1_LEN;
const SPAN_SPAN_ID = F2_LEN;
const SPAN_TRACE_STATE = F3_LEN;
const SPAN_PARENT_ID = F4_LEN;
const SPAN_NAME = F5_LEN;
const SPAN_KIND = (6 << 3) | 0;
const SPAN_START = (7 << 3) | 1;
const SPAN_END = (8 << 3) | 1;
const SPAN_ATTRIBUTES = (9 << 3) | 2;
const SPAN_DROPPED_ATTRIBUTES = (10 << 3) | 0;
const SPAN_EVENTS = (11 << 3) | 2;
const SPAN_DROPPED_EVENTS = (12 << 3) | 0;
const SPAN_LINKS = (13 << 3) | 2;
const SPAN_DROPPED_LINKS = (14 << 3) | 0;
const SPAN_STATUS = (15 << 3) | 2;
const SPAN_FLAGS = (16 << 3) | 5;

/** Bit N set = field N is known (a wrong wire type on it is an error, not an unknown field). */
function mask(...fields: number[]): number {
  let m = 0;
  for (const f of fields) m |= 1 << f;
  return m;
}
const SPAN_FIELDS = mask(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
const EVENT_FIELDS = mask(1, 2, 3, 4);
const LINK_FIELDS = mask(1, 2, 3, 4, 5, 6);
const STATUS_FIELDS = mask(2, 3);
const KEY_VALUE_FIELDS = mask(1, 2);
const ANY_VALUE_FIELDS = mask(1, 2, 3, 4, 5, 6, 7);
const LIST_FIELDS = mask(1);
const FIELD_1_ONLY = mask(1);
const RESOURCE_FIELDS = mask(1, 2);
const SCOPE_FIELDS = mask(1, 2, 3, 4);
const SCOPE_SPANS_FIELDS = mask(1, 2, 3);
const RESOURCE_SPANS_FIELDS = mask(1, 2, 3);

const MAX_VALUE_DEPTH = 32;
const NO_EVENTS: readonly SpanEvent[] = Object.freeze([]);
const NO_LINKS: readonly SpanLink[] = Object.freeze([]);
/** A status without a message: one object per code, shared by every such span (the model is read-only). */
const BARE_STATUS: readonly SpanStatus[] = [
  { code: 0, message: "" },
  { code: 1, message: "" },
  { code: 2, message: "" },
];

function readDouble(r: Reader, end: number): number {
  const at = r.pos;
  if (at + 8 > end) throw new WireError(at + 8 > r.len ? "truncated" : "field runs past the end of its enclosing message", at);
  return r.double();
}

/** AnyValue → model value; an AnyValue with no member set is null. Oneof: the last member wins. */
function readAnyValue(r: Reader, end: number, depth: number): AttributeValue {
  if (depth > MAX_VALUE_DEPTH) throw new WireError(`values nested deeper than ${MAX_VALUE_DEPTH} levels`, r.pos);
  let value: AttributeValue = null;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case F1_LEN:
        value = readString(r, end);
        break;
      case F2_VARINT:
        value = readUint32(r, end) !== 0;
        break;
      case F3_VARINT:
        value = readInt64(r, end);
        break;
      case F4_FIXED64:
        value = readDouble(r, end);
        break;
      case F5_LEN: {
        const stop = readEnd(r, end);
        const list: AttributeValue[] = [];
        while (r.pos < stop) {
          const inner = r.uint32();
          if (inner === F1_LEN) {
            const itemEnd = readEnd(r, stop);
            try {
              list.push(readAnyValue(r, itemEnd, depth + 1));
            } catch (error) {
              throw withPath(error, r, `arrayValue[${list.length}]`);
            }
          } else skipField(r, inner, LIST_FIELDS, stop);
        }
        expectEnd(r, stop);
        value = list;
        break;
      }
      case F6_LEN: {
        const stop = readEnd(r, end);
        const map = new Map<string, AttributeValue>();
        let index = 0;
        while (r.pos < stop) {
          const inner = r.uint32();
          if (inner === F1_LEN) {
            readKeyValueInto(r, readEnd(r, stop), map, depth + 1, "kvlistValue", index++);
          } else skipField(r, inner, LIST_FIELDS, stop);
        }
        expectEnd(r, stop);
        value = map;
        break;
      }
      case F7_LEN:
        value = readBytesCopy(r, end);
        break;
      default:
        skipField(r, tag, ANY_VALUE_FIELDS, end);
    }
  }
  expectEnd(r, end);
  return value;
}

/** One KeyValue into `map` (a later duplicate key replaces an earlier one, as in the JSON decoder). */
function readKeyValueInto(r: Reader, end: number, map: Map<string, AttributeValue>, depth: number, list: string, index: number): void {
  try {
    let key = "";
    let value: AttributeValue = null;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === F1_LEN) key = readString(r, end);
      else if (tag === F2_LEN) value = readAnyValue(r, readEnd(r, end), depth);
      else skipField(r, tag, KEY_VALUE_FIELDS, end);
    }
    expectEnd(r, end);
    map.set(key, value);
  } catch (error) {
    throw withPath(error, r, `${list}[${index}]`);
  }
}

function readResource(r: Reader, end: number): Resource {
  let attributes: Map<string, AttributeValue> | undefined;
  let dropped = 0;
  let index = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === F1_LEN) readKeyValueInto(r, readEnd(r, end), (attributes ??= new Map()), 0, "attributes", index++);
    else if (tag === F2_VARINT) dropped = readUint32(r, end);
    else skipField(r, tag, RESOURCE_FIELDS, end);
  }
  expectEnd(r, end);
  return { attributes: attributes ?? new Map(), droppedAttributesCount: dropped };
}

function readScope(r: Reader, end: number): InstrumentationScope {
  let name = "";
  let version = "";
  let attributes: Map<string, AttributeValue> | undefined;
  let dropped = 0;
  let index = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case F1_LEN:
        name = readString(r, end);
        break;
      case F2_LEN:
        version = readString(r, end);
        break;
      case F3_LEN:
        readKeyValueInto(r, readEnd(r, end), (attributes ??= new Map()), 0, "attributes", index++);
        break;
      case F4_VARINT:
        dropped = readUint32(r, end);
        break;
      default:
        skipField(r, tag, SCOPE_FIELDS, end);
    }
  }
  expectEnd(r, end);
  return { name, version, attributes: attributes ?? new Map(), droppedAttributesCount: dropped };
}

function readEvent(r: Reader, view: DataView, end: number): SpanEvent {
  let time = 0n;
  let name = "";
  let attributes: Map<string, AttributeValue> | undefined;
  let dropped = 0;
  let index = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case F1_FIXED64:
        time = readFixed64(r, view, end);
        break;
      case F2_LEN:
        name = readString(r, end);
        break;
      case F3_LEN:
        readKeyValueInto(r, readEnd(r, end), (attributes ??= new Map()), 0, "attributes", index++);
        break;
      case F4_VARINT:
        dropped = readUint32(r, end);
        break;
      default:
        skipField(r, tag, EVENT_FIELDS, end);
    }
  }
  expectEnd(r, end);
  return { timeUnixNano: time, name, attributes: attributes ?? emptyAttributes(), droppedAttributesCount: dropped };
}

function readLink(r: Reader, end: number): SpanLink {
  let traceId = "";
  let spanId = "";
  let traceState = "";
  let attributes: Map<string, AttributeValue> | undefined;
  let dropped = 0;
  let flags = 0;
  let index = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case F1_LEN:
        traceId = readTraceId(r, end);
        break;
      case F2_LEN:
        spanId = readSpanId(r, end);
        break;
      case F3_LEN:
        traceState = readString(r, end);
        break;
      case F4_LEN:
        readKeyValueInto(r, readEnd(r, end), (attributes ??= new Map()), 0, "attributes", index++);
        break;
      case F5_VARINT:
        dropped = readUint32(r, end);
        break;
      case F6_FIXED32:
        flags = readFixed32(r, end);
        break;
      default:
        skipField(r, tag, LINK_FIELDS, end);
    }
  }
  expectEnd(r, end);
  return { traceId, spanId, traceState, attributes: attributes ?? emptyAttributes(), droppedAttributesCount: dropped, flags };
}

function checkEnum(value: number, max: number, what: string, at: number): number {
  // Same rule as the JSON decoder: a value outside the enum is an error, not silently kept.
  if (value > max) throw new WireError(`unknown ${what} ${value}`, at);
  return value;
}

function readSpan(r: Reader, view: DataView, end: number, resource: Resource, scope: InstrumentationScope, service: string): Span {
  let traceId = "";
  let spanId = "";
  let traceState = "";
  let parentSpanId = "";
  let name = "";
  let kind = 0;
  let start = 0n;
  let stop = 0n;
  let attributes: Map<string, AttributeValue> | undefined;
  let droppedAttributes = 0;
  let events: SpanEvent[] | undefined;
  let droppedEvents = 0;
  let links: SpanLink[] | undefined;
  let droppedLinks = 0;
  let statusCode = 0;
  let statusMessage = "";
  let flags = 0;
  let attributeIndex = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case SPAN_TRACE_ID:
        traceId = readTraceId(r, end);
        break;
      case SPAN_SPAN_ID:
        spanId = readSpanId(r, end);
        break;
      case SPAN_TRACE_STATE:
        traceState = readString(r, end);
        break;
      case SPAN_PARENT_ID:
        parentSpanId = readSpanId(r, end);
        break;
      case SPAN_NAME:
        name = readString(r, end);
        break;
      case SPAN_KIND: {
        const at = r.pos;
        kind = checkEnum(readUint32(r, end), 5, "span kind", at);
        break;
      }
      case SPAN_START:
        start = readFixed64(r, view, end);
        break;
      case SPAN_END:
        stop = readFixed64(r, view, end);
        break;
      case SPAN_ATTRIBUTES:
        readKeyValueInto(r, readEnd(r, end), (attributes ??= new Map()), 0, "attributes", attributeIndex++);
        break;
      case SPAN_DROPPED_ATTRIBUTES:
        droppedAttributes = readUint32(r, end);
        break;
      case SPAN_EVENTS: {
        const list = (events ??= []);
        try {
          list.push(readEvent(r, view, readEnd(r, end)));
        } catch (error) {
          throw withPath(error, r, `events[${list.length}]`);
        }
        break;
      }
      case SPAN_DROPPED_EVENTS:
        droppedEvents = readUint32(r, end);
        break;
      case SPAN_LINKS: {
        const list = (links ??= []);
        try {
          list.push(readLink(r, readEnd(r, end)));
        } catch (error) {
          throw withPath(error, r, `links[${list.length}]`);
        }
        break;
      }
      case SPAN_DROPPED_LINKS:
        droppedLinks = readUint32(r, end);
        break;
      case SPAN_STATUS: {
        const statusEnd = readEnd(r, end);
        try {
          while (r.pos < statusEnd) {
            const inner = r.uint32();
            if (inner === F2_LEN) statusMessage = readString(r, statusEnd);
            else if (inner === F3_VARINT) {
              const at = r.pos;
              statusCode = checkEnum(readUint32(r, statusEnd), 2, "status code", at);
            } else skipField(r, inner, STATUS_FIELDS, statusEnd);
          }
          expectEnd(r, statusEnd);
        } catch (error) {
          throw withPath(error, r, "status");
        }
        break;
      }
      case SPAN_FLAGS:
        flags = readFixed32(r, end);
        break;
      default:
        skipField(r, tag, SPAN_FIELDS, end);
    }
  }
  expectEnd(r, end);
  return {
    traceId,
    spanId,
    parentSpanId,
    name,
    kind: kind as SpanKind,
    service,
    resource,
    scope,
    startTimeUnixNano: start,
    endTimeUnixNano: stop,
    status: statusMessage === "" ? BARE_STATUS[statusCode]! : { code: statusCode as StatusCode, message: statusMessage },
    attributes: attributes ?? emptyAttributes(),
    events: events ?? NO_EVENTS,
    links: links ?? NO_LINKS,
    droppedAttributesCount: droppedAttributes,
    droppedEventsCount: droppedEvents,
    droppedLinksCount: droppedLinks,
    flags,
    traceState,
  };
}

/**
 * Finds and decodes the first field-1 message (resource or scope) of a message that does not
 * start with it: spans need their resource and scope, and protobuf allows any field order.
 */
function findLeadingMessage<T>(r: Reader, end: number, read: (r: Reader, end: number) => T): T | undefined {
  const start = r.pos;
  let found: T | undefined;
  while (r.pos < end && found === undefined) {
    const tag = r.uint32();
    if (tag === F1_LEN) {
      found = read(r, readEnd(r, end));
      break;
    }
    try {
      skipField(r, tag, FIELD_1_ONLY, end);
    } catch {
      // Damage before the resource/scope: the main pass meets it too and names the right path.
      break;
    }
  }
  r.pos = start;
  return found;
}

function newEmptyScope(): InstrumentationScope {
  return { name: "", version: "", attributes: emptyAttributes(), droppedAttributesCount: 0 };
}

function readScopeSpans(r: Reader, view: DataView, end: number, resource: Resource, service: string, out: Span[]): void {
  // Each ScopeSpans gets its own scope object, even an empty one: encoders regroup by identity.
  let scope: InstrumentationScope | undefined;
  if (r.pos < end && r.buf[r.pos] !== F1_LEN) {
    try {
      scope = findLeadingMessage(r, end, readScope) ?? newEmptyScope();
    } catch (error) {
      throw withPath(error, r, "scope");
    }
  }
  let spanIndex = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === F2_LEN) {
      try {
        out.push(readSpan(r, view, readEnd(r, end), resource, (scope ??= newEmptyScope()), service));
      } catch (error) {
        throw withPath(error, r, `spans[${spanIndex}]`);
      }
      spanIndex++;
    } else if (tag === F1_LEN) {
      const scopeEnd = readEnd(r, end);
      if (scope === undefined) {
        try {
          scope = readScope(r, scopeEnd);
        } catch (error) {
          throw withPath(error, r, "scope");
        }
      } else r.pos = scopeEnd;
    } else if (tag === F3_LEN) {
      r.pos = readEnd(r, end); // schema_url: not part of the model
    } else skipField(r, tag, SCOPE_SPANS_FIELDS, end);
  }
  expectEnd(r, end);
}

/** One ResourceSpans; spans are appended to `out` (the caller rolls back on error). */
export function readResourceSpans(r: Reader, view: DataView, end: number, out: Span[]): void {
  let resource: Resource | undefined;
  if (r.pos < end && r.buf[r.pos] !== F1_LEN) {
    try {
      resource = findLeadingMessage(r, end, readResource) ?? { attributes: new Map(), droppedAttributesCount: 0 };
    } catch (error) {
      throw withPath(error, r, "resource");
    }
  }
  let service = resource ? serviceNameOf(resource) : "";
  let scopeIndex = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === F2_LEN) {
      if (resource === undefined) {
        resource = { attributes: new Map(), droppedAttributesCount: 0 };
        service = serviceNameOf(resource);
      }
      try {
        readScopeSpans(r, view, readEnd(r, end), resource, service, out);
      } catch (error) {
        throw withPath(error, r, `scopeSpans[${scopeIndex}]`);
      }
      scopeIndex++;
    } else if (tag === F1_LEN) {
      const resourceEnd = readEnd(r, end);
      if (resource === undefined) {
        try {
          resource = readResource(r, resourceEnd);
        } catch (error) {
          throw withPath(error, r, "resource");
        }
        service = serviceNameOf(resource);
      } else r.pos = resourceEnd;
    } else if (tag === F3_LEN) {
      r.pos = readEnd(r, end); // schema_url
    } else skipField(r, tag, RESOURCE_SPANS_FIELDS, end);
  }
  expectEnd(r, end);
}

export const TAGS = { F1_LEN, F2_LEN, F3_VARINT, F4_LEN, F5_VARINT } as const;
