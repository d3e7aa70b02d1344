// Turns one Parquet row (a whole trace, as hyparquet assembles the nested columns) into canonical
// spans. The three formats share most of the shape; what differs (attribute layout, events, links,
// well-known columns) is passed in by the per-format modules.
import { bytesToHex, traceIdFromBytes } from "../../model/ids";
import {
  serviceNameOf,
  type AttributeMap,
  type AttributeValue,
  type InstrumentationScope,
  type Resource,
  type Span,
  type SpanEvent,
  type SpanKind,
  type SpanLink,
  type StatusCode,
} from "../../model/span";
import type { DedicatedMapping, DedicatedSlot } from "./dedicated";

export type Row = Record<string, unknown>;

const U64 = (1n << 64n) - 1n;

export function rows(value: unknown): Row[] {
  return Array.isArray(value) ? (value.filter((v) => v !== null && typeof v === "object") as Row[]) : [];
}

export function str(value: unknown): string {
  return typeof value === "string" ? value : value instanceof Uint8Array ? new TextDecoder().decode(value) : "";
}

export function num(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  return 0;
}

export function u64(value: unknown): bigint {
  if (typeof value === "bigint") return BigInt.asUintN(64, value);
  if (typeof value === "number" && Number.isFinite(value)) return BigInt(Math.trunc(value));
  return 0n;
}

/** int64 as the span model wants it: a number when exact, else bigint. */
export function int64(value: unknown): number | bigint {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }
  return num(value);
}

export function hexId(value: unknown): string {
  return value instanceof Uint8Array && value.length > 0 ? bytesToHex(value) : "";
}

export function traceIdOf(value: unknown): string {
  return value instanceof Uint8Array ? traceIdFromBytes(value) : "";
}

/** Converts golang-protobuf JSON of an OTLP AnyValue (`ValueUnsupported`, vParquet3 arrays/kvlists). */
export function anyValueFromJson(json: unknown): AttributeValue {
  if (json === null || typeof json !== "object") return json === undefined ? null : (json as AttributeValue);
  const o = json as Record<string, unknown>;
  if ("stringValue" in o) return String(o.stringValue);
  if ("boolValue" in o) return Boolean(o.boolValue);
  if ("intValue" in o) return int64(BigInt(String(o.intValue)));
  if ("doubleValue" in o) return Number(o.doubleValue);
  if ("bytesValue" in o) {
    const bin = atob(String(o.bytesValue));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }
  if ("arrayValue" in o) return anyValueFromJson(o.arrayValue);
  if ("kvlistValue" in o) return anyValueFromJson(o.kvlistValue);
  if (Array.isArray(o.values)) {
    const values = o.values as unknown[];
    // ArrayValue {values:[AnyValue]} vs KeyValueList {values:[{key,value}]}.
    if (values.every((v) => v !== null && typeof v === "object" && "key" in (v as object))) {
      return new Map(values.map((v) => [String((v as Row).key), anyValueFromJson((v as Row).value)]));
    }
    return values.map(anyValueFromJson);
  }
  return new Map();
}

export function parseJsonAnyValue(text: string): AttributeValue {
  try {
    return anyValueFromJson(JSON.parse(text));
  } catch {
    return text; // kept as the stored text rather than dropped
  }
}

/**
 * One attribute row. Handles every layout seen in Tempo blocks: vParquet3 optional scalars plus
 * JSON `ValueArray`/`ValueKVList`; vParquet4-dev `ValueType` + lists + `ValueDropped`; released
 * vParquet4/5 `IsArray` + lists + `ValueUnsupported`.
 */
export function attributeValue(attr: Row): AttributeValue {
  const lists: unknown[][] = [attr.Value, attr.ValueInt, attr.ValueDouble, attr.ValueBool].filter(Array.isArray) as unknown[][];
  // An empty repeated leaf (vParquet5 has no LIST wrapper) comes back as null, not []: recognise the
  // list layouts by their other columns so empty arrays and ValueUnsupported are not lost.
  const listLayout = "IsArray" in attr || "ValueUnsupported" in attr || "ValueType" in attr || "ValueDropped" in attr;
  if (lists.length > 0 || listLayout) {
    const filled = lists.find((l) => l.length > 0);
    const isArray = attr.IsArray === true;
    if (filled) {
      const values = filled.map((v) => (typeof v === "bigint" ? int64(v) : (v as AttributeValue)));
      return isArray || filled.length > 1 ? values : values[0]!;
    }
    if (isArray) return [];
    const unsupported = attr.ValueUnsupported ?? attr.ValueDropped;
    return typeof unsupported === "string" && unsupported !== "" ? parseJsonAnyValue(unsupported) : null;
  }
  // vParquet3: at most one scalar is set.
  if (typeof attr.Value === "string") return attr.Value;
  if (attr.ValueInt !== null && attr.ValueInt !== undefined) return int64(attr.ValueInt);
  if (attr.ValueDouble !== null && attr.ValueDouble !== undefined) return num(attr.ValueDouble);
  if (typeof attr.ValueBool === "boolean") return attr.ValueBool;
  if (typeof attr.ValueArray === "string" && attr.ValueArray !== "") return parseJsonAnyValue(attr.ValueArray);
  if (typeof attr.ValueKVList === "string" && attr.ValueKVList !== "") return parseJsonAnyValue(attr.ValueKVList);
  return null;
}

export function attributeList(value: unknown, into = new Map<string, AttributeValue>()): Map<string, AttributeValue> {
  for (const attr of rows(value)) into.set(str(attr.Key), attributeValue(attr));
  return into;
}

/** Appends well-known columns (field → attribute key) that hold a value. */
export function addWellKnown(from: Row, columns: readonly (readonly [string, string])[], into: Map<string, AttributeValue>): void {
  for (const [field, key] of columns) {
    const v = from[field];
    if (v === null || v === undefined) continue;
    // ServiceName is a plain string column: Tempo adds service.name only when it is not empty.
    if (field === "ServiceName" && v === "") continue;
    into.set(key, typeof v === "bigint" ? int64(v) : (v as AttributeValue));
  }
}

/** Appends dedicated columns; vParquet5 stores them as repeated values (one value → scalar, as Tempo reads it). */
export function addDedicated(struct: unknown, slots: readonly DedicatedSlot[], into: Map<string, AttributeValue>): void {
  if (!struct || typeof struct !== "object" || slots.length === 0) return;
  const s = struct as Row;
  for (const slot of slots) {
    const v = s[slot.field];
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) {
      if (v.length === 0) continue;
      const values = v.map((x) => (typeof x === "bigint" ? int64(x) : (x as AttributeValue)));
      into.set(slot.key, values.length > 1 ? values : values[0]!);
    } else into.set(slot.key, typeof v === "bigint" ? int64(v) : (v as AttributeValue));
  }
}

export interface FormatShape {
  /** Resource columns that hold well-known attributes: [field, attribute key]. */
  resourceWellKnown: readonly (readonly [string, string])[];
  spanWellKnown: readonly (readonly [string, string])[];
  events(span: Row, start: bigint, mapping: DedicatedMapping): SpanEvent[];
  links(span: Row): SpanLink[];
}

export const RESOURCE_WELL_KNOWN_V3_V4 = [
  ["ServiceName", "service.name"],
  ["Cluster", "cluster"],
  ["Namespace", "namespace"],
  ["Pod", "pod"],
  ["Container", "container"],
  ["K8sClusterName", "k8s.cluster.name"],
  ["K8sNamespaceName", "k8s.namespace.name"],
  ["K8sPodName", "k8s.pod.name"],
  ["K8sContainerName", "k8s.container.name"],
] as const;

export const SPAN_WELL_KNOWN_V3_V4 = [
  ["HttpMethod", "http.method"],
  ["HttpUrl", "http.url"],
  ["HttpStatusCode", "http.status_code"],
] as const;

function kindOf(value: unknown): SpanKind {
  const k = num(value);
  return (k >= 0 && k <= 5 ? k : 0) as SpanKind;
}

function statusOf(value: unknown): StatusCode {
  const c = num(value);
  return (c >= 0 && c <= 2 ? c : 0) as StatusCode;
}

/** Converts one trace row. Returns the trace ID and its spans. */
export function rowToSpans(row: Row, shape: FormatShape, mapping: DedicatedMapping): { traceId: string; spans: Span[] } {
  const traceId = traceIdOf(row.TraceID);
  const spans: Span[] = [];
  for (const rs of rows(row.rs)) {
    const res = (rs.Resource ?? {}) as Row;
    // Tempo's order: generic attributes, dedicated columns (meta order), then well-known columns.
    const resourceAttrs = attributeList(res.Attrs);
    addDedicated(res.DedicatedAttributes, mapping.resource, resourceAttrs);
    addWellKnown(res, shape.resourceWellKnown, resourceAttrs);
    const resource: Resource = { attributes: resourceAttrs, droppedAttributesCount: num(res.DroppedAttributesCount) };
    const service = serviceNameOf(resource);
    for (const ss of rows(rs.ss)) {
      const sc = (ss.Scope ?? {}) as Row;
      const scope: InstrumentationScope = {
        name: str(sc.Name),
        version: str(sc.Version),
        attributes: attributeList(sc.Attrs) as AttributeMap,
        droppedAttributesCount: num(sc.DroppedAttributesCount),
      };
      for (const sp of rows(ss.Spans)) {
        const start = u64(sp.StartTimeUnixNano);
        const attributes = attributeList(sp.Attrs);
        addDedicated(sp.DedicatedAttributes, mapping.span, attributes);
        addWellKnown(sp, shape.spanWellKnown, attributes);
        spans.push({
          traceId,
          spanId: hexId(sp.SpanID),
          parentSpanId: hexId(sp.ParentSpanID),
          name: str(sp.Name),
          kind: kindOf(sp.Kind),
          service,
          resource,
          scope,
          startTimeUnixNano: start,
          // DurationNano is unsigned: end < start was stored wrapped, so wrap back (trap 22).
          endTimeUnixNano: (start + u64(sp.DurationNano)) & U64,
          status: { code: statusOf(sp.StatusCode), message: str(sp.StatusMessage) },
          attributes,
          events: shape.events(sp, start, mapping),
          links: shape.links(sp),
          droppedAttributesCount: num(sp.DroppedAttributesCount),
          droppedEventsCount: num(sp.DroppedEventsCount),
          droppedLinksCount: num(sp.DroppedLinksCount),
          flags: 0, // Tempo's Parquet schemas do not keep span flags
          traceState: str(sp.TraceState),
        });
      }
    }
  }
  return { traceId, spans };
}

/** vParquet4/5 events: time relative to span start, attributes as attribute rows. */
export function relativeEvents(span: Row, start: bigint, mapping: DedicatedMapping): SpanEvent[] {
  return rows(span.Events).map((e) => {
    const attributes = attributeList(e.Attrs);
    addDedicated(e.DedicatedAttributes, mapping.event, attributes);
    return {
      timeUnixNano: (start + u64(e.TimeSinceStartNano)) & U64,
      name: str(e.Name),
      attributes,
      droppedAttributesCount: num(e.DroppedAttributesCount),
    };
  });
}

/** vParquet4/5 links: a nested list. */
export function nestedLinks(span: Row): SpanLink[] {
  return rows(span.Links).map((l) => ({
    traceId: traceIdOf(l.TraceID),
    spanId: hexId(l.SpanID),
    traceState: str(l.TraceState),
    attributes: attributeList(l.Attrs),
    droppedAttributesCount: num(l.DroppedAttributesCount),
    flags: 0,
  }));
}
