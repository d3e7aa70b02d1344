// Builds the JSON object tree for resourceSpans in either JSON flavour. The two differ only in how
// IDs and enums are spelled; both omit zero values the way proto3 JSON marshallers do, so that a
// decoder sees what a real producer would send.
//  - "tempo": gogo-jsonpb as Tempo's API writes it (tempo.md §2): base64 IDs, enum names,
//    int64 as strings, zero values omitted, `"status":{}` and `"scope":{}` always present.
//  - "otlp": OTLP/JSON as the collector writes it: hex IDs, integer enums, int64 as strings.
import { SPAN_KIND_NAMES, type AttributeValue, type Attributes, type InstrumentationScope, type Resource, type Span } from "../model/span";
import { bytesToBase64, hexToBytes } from "./bytes";
import type { ResourceGroup } from "./group";

export type JsonFlavour = "tempo" | "otlp";

type JsonObject = Record<string, unknown>;

const STATUS_NAMES = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"] as const;

function idText(id: string, flavour: JsonFlavour): string {
  if (flavour === "otlp") return id;
  // A malformed (non-hex) ID is written as its raw text, as hand-written bodies do.
  const bytes = hexToBytes(id);
  return bytes ? bytesToBase64(bytes) : id;
}

function kindValue(kind: number, flavour: JsonFlavour): string | number {
  if (flavour === "otlp") return kind;
  // jsonpb writes an enum number it has no name for as a bare number.
  return kind in SPAN_KIND_NAMES ? `SPAN_KIND_${SPAN_KIND_NAMES[kind as keyof typeof SPAN_KIND_NAMES]}` : kind;
}

function statusCodeValue(code: number, flavour: JsonFlavour): string | number {
  if (flavour === "otlp") return code;
  return STATUS_NAMES[code] ?? code;
}

/** Doubles: proto3 JSON spells the non-finite ones as strings. */
function doubleJson(value: number): number | string {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
}

export function anyValueJson(value: AttributeValue): JsonObject {
  if (value === null) return {};
  switch (typeof value) {
    case "string":
      return { stringValue: value };
    case "boolean":
      return { boolValue: value };
    case "bigint":
      return { intValue: value.toString() };
    case "number":
      // The model keeps int64 values that fit a double as numbers; any other number was a double.
      return Number.isSafeInteger(value) && !Object.is(value, -0) ? { intValue: String(value) } : { doubleValue: doubleJson(value) };
    default:
      break;
  }
  if (value instanceof Uint8Array) return { bytesValue: bytesToBase64(value) };
  if (Array.isArray(value)) return { arrayValue: value.length ? { values: value.map(anyValueJson) } : {} };
  const map = value as Attributes;
  return { kvlistValue: map.size ? { values: attributesJson(map) } : {} };
}

export function attributesJson(attributes: Attributes): JsonObject[] {
  const out: JsonObject[] = [];
  for (const [key, value] of attributes) out.push({ key, value: anyValueJson(value) });
  return out;
}

/** Sets `key` only when the value is not proto3's zero value (jsonpb EmitDefaults=false). */
function put(obj: JsonObject, key: string, value: unknown): void {
  if (value === "" || value === 0 || value === 0n || value === false || value === undefined) return;
  if (Array.isArray(value) && value.length === 0) return;
  obj[key] = typeof value === "bigint" ? value.toString() : value;
}

function resourceJson(resource: Resource): JsonObject {
  const obj: JsonObject = {};
  put(obj, "attributes", attributesJson(resource.attributes));
  put(obj, "droppedAttributesCount", resource.droppedAttributesCount);
  return obj;
}

function scopeJson(scope: InstrumentationScope): JsonObject {
  const obj: JsonObject = {};
  put(obj, "name", scope.name);
  put(obj, "version", scope.version);
  put(obj, "attributes", attributesJson(scope.attributes));
  put(obj, "droppedAttributesCount", scope.droppedAttributesCount);
  return obj;
}

function spanJson(span: Span, flavour: JsonFlavour): JsonObject {
  // Key order follows the field declaration order of trace.proto, as jsonpb emits it.
  const obj: JsonObject = {};
  put(obj, "traceId", span.traceId === "" ? "" : idText(span.traceId, flavour));
  put(obj, "spanId", span.spanId === "" ? "" : idText(span.spanId, flavour));
  put(obj, "traceState", span.traceState);
  put(obj, "parentSpanId", span.parentSpanId === "" ? "" : idText(span.parentSpanId, flavour));
  put(obj, "flags", span.flags);
  put(obj, "name", span.name);
  put(obj, "kind", span.kind === 0 ? 0 : kindValue(span.kind, flavour));
  put(obj, "startTimeUnixNano", span.startTimeUnixNano);
  put(obj, "endTimeUnixNano", span.endTimeUnixNano);
  put(obj, "attributes", attributesJson(span.attributes));
  put(obj, "droppedAttributesCount", span.droppedAttributesCount);
  put(
    obj,
    "events",
    span.events.map((event) => {
      const e: JsonObject = {};
      put(e, "timeUnixNano", event.timeUnixNano);
      put(e, "name", event.name);
      put(e, "attributes", attributesJson(event.attributes));
      put(e, "droppedAttributesCount", event.droppedAttributesCount);
      return e;
    }),
  );
  put(obj, "droppedEventsCount", span.droppedEventsCount);
  put(
    obj,
    "links",
    span.links.map((link) => {
      const l: JsonObject = {};
      put(l, "traceId", link.traceId === "" ? "" : idText(link.traceId, flavour));
      put(l, "spanId", link.spanId === "" ? "" : idText(link.spanId, flavour));
      put(l, "traceState", link.traceState);
      put(l, "attributes", attributesJson(link.attributes));
      put(l, "droppedAttributesCount", link.droppedAttributesCount);
      put(l, "flags", link.flags);
      return l;
    }),
  );
  put(obj, "droppedLinksCount", span.droppedLinksCount);
  const status: JsonObject = {};
  put(status, "message", span.status.message);
  put(status, "code", span.status.code === 0 ? 0 : statusCodeValue(span.status.code, flavour));
  obj.status = status;
  return obj;
}

export function resourceSpansJson(groups: readonly ResourceGroup[], flavour: JsonFlavour): JsonObject[] {
  return groups.map((group) => ({
    resource: resourceJson(group.resource),
    scopeSpans: group.scopes.map((s) => ({ scope: scopeJson(s.scope), spans: s.spans.map((span) => spanJson(span, flavour)) })),
  }));
}
