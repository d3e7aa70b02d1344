// Decodes both JSON flavours in one pass, value by value:
//  - OTLP/JSON (collector, awss3exporter `otlp_json`): hex IDs, integer enums, int64 as string/number;
//  - Tempo API JSON (gogo-jsonpb): base64 IDs, enum names, int64 as strings, zero values omitted,
//    wrapped as v1 `{"batches": …}` or v2 `{"trace": {…}, "status": "PARTIAL", "message": …}`.
// snake_case keys and the pre-1.0 `instrumentationLibrarySpans` are accepted too.
import { decodeJsonId, type IdEncoding } from "../model/ids";
import {
  EMPTY_SCOPE,
  serviceNameOf,
  type AttributeValue,
  type Attributes,
  type InstrumentationScope,
  type Resource,
  type Span,
  type SpanEvent,
  type SpanKind,
  type SpanLink,
  type StatusCode,
} from "../model/span";
import { redactText } from "../pii/redact";
import { checkSpanLimit, DecodeError, SpanLimitError, type DecodedInput } from "./types";
import { showControl } from "../util/control";

type Json = Record<string, unknown>;

const KIND_NAMES: Record<string, SpanKind> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_NAMES: Record<string, StatusCode> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

class PathError extends Error {}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function field(obj: Json, camel: string, snake?: string): unknown {
  const v = obj[camel];
  return v !== undefined || snake === undefined ? v : obj[snake];
}

function arrayAt(obj: Json, path: string, camel: string, snake?: string): unknown[] {
  const v = field(obj, camel, snake);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new PathError(`${path}.${camel}: expected an array, got ${typeOf(v)}`);
  return v;
}

function typeOf(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

const MAX_UINT64 = (1n << 64n) - 1n;

/** Parses a uint64 given as a decimal string or a JSON number. */
function parseUint64(value: unknown, path: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === "string") {
    if (!/^\d{1,20}$/.test(value)) throw new PathError(`${path}: expected an unsigned integer string`);
    const big = BigInt(value);
    if (big > MAX_UINT64) throw new PathError(`${path}: larger than a uint64`);
    return big;
  }
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return BigInt(value);
  throw new PathError(`${path}: expected an unsigned integer, got ${typeOf(value)}`);
}

function parseInt32(value: unknown): number {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^-?\d+$/.test(value)) return Number(value);
  return 0;
}

function parseEnum<T extends number>(value: unknown, names: Record<string, T>, path: string, max: number): { value: T; named: boolean } {
  if (value === undefined || value === null) return { value: 0 as T, named: false };
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max) return { value: value as T, named: false };
  if (typeof value === "string") {
    // Own properties only: "constructor" or "toString" must not resolve through Object.prototype.
    const named = Object.hasOwn(names, value) ? names[value] : undefined;
    if (named !== undefined) return { value: named, named: true };
    if (/^\d+$/.test(value) && Number(value) <= max) return { value: Number(value) as T, named: false };
  }
  throw new PathError(`${path}: unknown enum value (${typeOf(value)})`);
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Nested arrays and kvlists deeper than this are refused, as in the protobuf decoder (no stack overflow). */
const MAX_VALUE_DEPTH = 32;

function anyValue(value: unknown, path: string, depth = 0): AttributeValue {
  if (!isObject(value)) return null;
  if (depth > MAX_VALUE_DEPTH) {
    const attribute = path.slice(0, path.indexOf(".value") + ".value".length);
    throw new PathError(`${attribute}…: values nested deeper than ${MAX_VALUE_DEPTH} levels`);
  }
  if ("stringValue" in value || "string_value" in value) return String(field(value, "stringValue", "string_value") ?? "");
  if ("boolValue" in value || "bool_value" in value) return field(value, "boolValue", "bool_value") === true;
  if ("intValue" in value || "int_value" in value) {
    const raw = field(value, "intValue", "int_value");
    if (typeof raw === "number") return raw;
    if (typeof raw === "string" && /^-?\d+$/.test(raw)) {
      const big = BigInt(raw);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    throw new PathError(`${path}.intValue: expected an integer`);
  }
  if ("doubleValue" in value || "double_value" in value) {
    const raw = field(value, "doubleValue", "double_value");
    return typeof raw === "number" ? raw : Number(raw);
  }
  if ("arrayValue" in value || "array_value" in value) {
    const arr = field(value, "arrayValue", "array_value");
    const values = isObject(arr) && Array.isArray(arr.values) ? arr.values : [];
    return values.map((v, i) => anyValue(v, `${path}.arrayValue.values[${i}]`, depth + 1));
  }
  if ("kvlistValue" in value || "kvlist_value" in value) {
    const kv = field(value, "kvlistValue", "kvlist_value");
    return attributes(isObject(kv) && Array.isArray(kv.values) ? kv.values : [], `${path}.kvlistValue`, depth + 1);
  }
  if ("bytesValue" in value || "bytes_value" in value) {
    const raw = field(value, "bytesValue", "bytes_value");
    try {
      return typeof raw === "string" ? base64ToBytes(raw) : new Uint8Array();
    } catch {
      throw new PathError(`${path}.bytesValue: not valid base64`);
    }
  }
  return null;
}

function attributes(list: unknown, path: string, depth = 0): Attributes {
  const map = new Map<string, AttributeValue>();
  if (!Array.isArray(list)) return map;
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    if (!isObject(kv) || typeof kv.key !== "string") throw new PathError(`${path}[${i}]: expected {key, value}`);
    map.set(kv.key, anyValue(kv.value, `${path}[${i}].value`, depth));
  }
  return map;
}

interface Flavour {
  hexIds: number;
  base64Ids: number;
  namedEnums: number;
}

function noteId(flavour: Flavour, encoding: IdEncoding): void {
  if (encoding === "hex") flavour.hexIds++;
  else if (encoding === "base64") flavour.base64Ids++;
}

function decodeResourceSpans(rs: Json, path: string, flavour: Flavour, out: Span[]): void {
  const resourceJson = field(rs, "resource");
  const resource: Resource = isObject(resourceJson)
    ? {
        attributes: attributes(resourceJson.attributes, `${path}.resource.attributes`),
        droppedAttributesCount: parseInt32(field(resourceJson, "droppedAttributesCount", "dropped_attributes_count")),
      }
    : { attributes: new Map(), droppedAttributesCount: 0 };
  const service = serviceNameOf(resource);
  let scopeSpansList = arrayAt(rs, path, "scopeSpans", "scope_spans");
  let scopeKey = "scope";
  if (scopeSpansList.length === 0) {
    const legacy = arrayAt(rs, path, "instrumentationLibrarySpans", "instrumentation_library_spans");
    if (legacy.length > 0) {
      scopeSpansList = legacy;
      scopeKey = "instrumentationLibrary";
    }
  }
  for (let s = 0; s < scopeSpansList.length; s++) {
    const ss = scopeSpansList[s];
    const ssPath = `${path}.scopeSpans[${s}]`;
    if (!isObject(ss)) throw new PathError(`${ssPath}: expected an object`);
    const scopeJson = field(ss, scopeKey, scopeKey === "scope" ? undefined : "instrumentation_library");
    const scope: InstrumentationScope = isObject(scopeJson)
      ? {
          name: typeof scopeJson.name === "string" ? scopeJson.name : "",
          version: typeof scopeJson.version === "string" ? scopeJson.version : "",
          attributes: attributes(scopeJson.attributes, `${ssPath}.scope.attributes`),
          droppedAttributesCount: parseInt32(field(scopeJson, "droppedAttributesCount", "dropped_attributes_count")),
        }
      : EMPTY_SCOPE;
    const spans = arrayAt(ss, ssPath, "spans");
    for (let i = 0; i < spans.length; i++) {
      const sp = spans[i];
      const spPath = `${ssPath}.spans[${i}]`;
      if (!isObject(sp)) throw new PathError(`${spPath}: expected an object`);
      out.push(decodeSpan(sp, spPath, resource, scope, service, flavour));
    }
  }
}

function idText(obj: Json, camel: string, snake: string, path: string): string {
  const v = field(obj, camel, snake);
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw new PathError(`${path}.${camel}: expected a string, got ${typeOf(v)}`);
  return v;
}

function decodeSpan(sp: Json, path: string, resource: Resource, scope: InstrumentationScope, service: string, flavour: Flavour): Span {
  const traceId = decodeJsonId(idText(sp, "traceId", "trace_id", path), 16);
  const spanId = decodeJsonId(idText(sp, "spanId", "span_id", path), 8);
  const parent = decodeJsonId(idText(sp, "parentSpanId", "parent_span_id", path), 8);
  noteId(flavour, traceId.encoding);
  noteId(flavour, spanId.encoding);
  const kind = parseEnum(sp.kind, KIND_NAMES, `${path}.kind`, 5);
  if (kind.named) flavour.namedEnums++;
  const statusJson = sp.status;
  let statusCode: StatusCode = 0;
  let statusMessage = "";
  if (isObject(statusJson)) {
    const code = parseEnum(statusJson.code, STATUS_NAMES, `${path}.status.code`, 2);
    if (code.named) flavour.namedEnums++;
    statusCode = code.value;
    statusMessage = typeof statusJson.message === "string" ? statusJson.message : "";
  }
  const events: SpanEvent[] = arrayAt(sp, path, "events").map((e, i) => {
    if (!isObject(e)) throw new PathError(`${path}.events[${i}]: expected an object`);
    return {
      timeUnixNano: parseUint64(field(e, "timeUnixNano", "time_unix_nano"), `${path}.events[${i}].timeUnixNano`),
      name: typeof e.name === "string" ? e.name : "",
      attributes: attributes(e.attributes, `${path}.events[${i}].attributes`),
      droppedAttributesCount: parseInt32(field(e, "droppedAttributesCount", "dropped_attributes_count")),
    };
  });
  const links: SpanLink[] = arrayAt(sp, path, "links").map((l, i) => {
    if (!isObject(l)) throw new PathError(`${path}.links[${i}]: expected an object`);
    return {
      traceId: decodeJsonId(idText(l, "traceId", "trace_id", `${path}.links[${i}]`), 16).hex,
      spanId: decodeJsonId(idText(l, "spanId", "span_id", `${path}.links[${i}]`), 8).hex,
      traceState: typeof field(l, "traceState", "trace_state") === "string" ? (field(l, "traceState", "trace_state") as string) : "",
      attributes: attributes(l.attributes, `${path}.links[${i}].attributes`),
      droppedAttributesCount: parseInt32(field(l, "droppedAttributesCount", "dropped_attributes_count")),
      flags: parseInt32(l.flags),
    };
  });
  const traceState = field(sp, "traceState", "trace_state");
  return {
    traceId: traceId.hex,
    spanId: spanId.hex,
    parentSpanId: parent.hex,
    name: typeof sp.name === "string" ? sp.name : "",
    kind: kind.value,
    service,
    resource,
    scope,
    startTimeUnixNano: parseUint64(field(sp, "startTimeUnixNano", "start_time_unix_nano"), `${path}.startTimeUnixNano`),
    endTimeUnixNano: parseUint64(field(sp, "endTimeUnixNano", "end_time_unix_nano"), `${path}.endTimeUnixNano`),
    status: { code: statusCode, message: statusMessage },
    attributes: attributes(sp.attributes, `${path}.attributes`),
    events,
    links,
    droppedAttributesCount: parseInt32(field(sp, "droppedAttributesCount", "dropped_attributes_count")),
    droppedEventsCount: parseInt32(field(sp, "droppedEventsCount", "dropped_events_count")),
    droppedLinksCount: parseInt32(field(sp, "droppedLinksCount", "dropped_links_count")),
    flags: parseInt32(sp.flags),
    traceState: typeof traceState === "string" ? traceState : "",
  };
}

interface Envelope {
  resourceSpans: unknown[];
  basePath: string;
  tempo: boolean;
  partial?: { reason: string };
  notFound?: boolean;
}

/** "" or "line 3: " / "[2]: ", so that messages never start with a stray colon. */
function prefix(where: string): string {
  return where === "" ? "" : `${where.replace(/:$/, "")}: `;
}

function envelopeOf(doc: unknown, where: string): Envelope {
  const at = prefix(where);
  if (!isObject(doc)) throw new DecodeError(`${at}expected a JSON object, got ${typeOf(doc)}`);
  if ("batches" in doc) {
    if (!Array.isArray(doc.batches)) throw new DecodeError(`${at}"batches" must be an array`);
    return { resourceSpans: doc.batches, basePath: "batches", tempo: true };
  }
  if ("trace" in doc) {
    // Tempo /api/v2/traces response.
    const trace = doc.trace;
    if (trace !== undefined && trace !== null && !isObject(trace)) throw new DecodeError(`${at}"trace" must be an object`);
    const rs = isObject(trace) ? field(trace, "resourceSpans", "resource_spans") ?? trace.batches : undefined;
    if (rs !== undefined && !Array.isArray(rs)) throw new DecodeError(`${at}"trace.resourceSpans" must be an array`);
    const list = (rs as unknown[] | undefined) ?? [];
    const env: Envelope = { resourceSpans: list, basePath: "trace.resourceSpans", tempo: true };
    if (doc.status === "PARTIAL" || doc.status === 1) {
      env.partial = { reason: typeof doc.message === "string" && doc.message ? doc.message : "Tempo returned a partial trace" };
    }
    if (list.length === 0) env.notFound = true;
    return env;
  }
  const rs = field(doc, "resourceSpans", "resource_spans");
  if (rs === undefined) {
    // Keys are data too (a map keyed by user e-mail, say): shortened and with PII masked.
    const keys = showControl(redactText(Object.keys(doc).slice(0, 5).map((k) => (k.length > 40 ? `${k.slice(0, 40)}…` : k)).join(", "))) || "none";
    throw new DecodeError(`${at}not a trace document (no "resourceSpans", "batches" or "trace"; keys: ${keys})`);
  }
  if (!Array.isArray(rs)) throw new DecodeError(`${at}"resourceSpans" must be an array`);
  return { resourceSpans: rs, basePath: "resourceSpans", tempo: false };
}

/** Decodes one JSON document (already parsed) into `out`. */
function decodeDocument(doc: unknown, where: string, result: DecodedInput, flavour: Flavour, maxSpans: number): boolean {
  const env = envelopeOf(doc, where);
  for (let i = 0; i < env.resourceSpans.length; i++) {
    const rs = env.resourceSpans[i];
    const path = `${env.basePath}[${i}]`;
    const batch: Span[] = [];
    try {
      if (!isObject(rs)) throw new PathError(`${path}: expected an object`);
      decodeResourceSpans(rs, path, flavour, batch);
      for (const span of batch) result.spans.push(span);
    } catch (error) {
      if (!(error instanceof PathError)) throw error;
      result.errors.push(`${prefix(where)}${error.message} (batch skipped)`);
    }
    checkSpanLimit(result.spans, maxSpans);
  }
  if (env.partial) result.partial = env.partial;
  if (env.notFound) result.notFound = true;
  return env.tempo;
}

/** A JSON.parse error without the snippet of input V8 quotes into it (it may be PII). */
function syntaxProblem(error: Error): string {
  const position = /at position (\d+)/.exec(error.message);
  if (position) return `syntax error at character ${position[1]}`;
  if (/unexpected end/i.test(error.message)) return "unexpected end of input";
  return "syntax error";
}

/** Decodes a JSON or JSON-Lines body. Throws DecodeError when nothing in it is a trace document. */
export function decodeJson(text: string, raw: number, maxSpans = Infinity): DecodedInput {
  const result: DecodedInput = { format: "otlp-json", spans: [], errors: [], warnings: [], bytes: { raw, decoded: text.length } };
  const flavour: Flavour = { hexIds: 0, base64Ids: 0, namedEnums: 0 };
  let tempoEnvelope = false;
  let doc: unknown;
  let parseError: Error | undefined;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    parseError = error as Error;
  }
  if (!parseError) {
    const docs = Array.isArray(doc) ? doc : [doc];
    for (let i = 0; i < docs.length; i++) {
      tempoEnvelope = decodeDocument(docs[i], Array.isArray(doc) ? `[${i}]` : "", result, flavour, maxSpans) || tempoEnvelope;
    }
  } else {
    // JSON Lines (newer awss3exporter batching): one document per line.
    const lines = text.split("\n");
    let documents = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === "") continue;
      let lineDoc: unknown;
      try {
        lineDoc = JSON.parse(line);
      } catch (error) {
        result.errors.push(`line ${i + 1}: invalid JSON (${syntaxProblem(error as Error)})`);
        continue;
      }
      try {
        tempoEnvelope = decodeDocument(lineDoc, `line ${i + 1}:`, result, flavour, maxSpans) || tempoEnvelope;
        documents++;
      } catch (error) {
        if (!(error instanceof DecodeError) || error instanceof SpanLimitError) throw error;
        result.errors.push(error.message);
      }
    }
    if (documents === 0) throw new DecodeError(`invalid JSON: ${syntaxProblem(parseError)}`);
  }
  if (result.spans.length === 0 && result.errors.length > 0) {
    const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : "";
    throw new DecodeError(`nothing readable: ${result.errors[0]!.replace(/ \(batch skipped\)$/, "")}${more}`);
  }
  const tempoEncoded = tempoEnvelope || flavour.base64Ids > 0 || flavour.namedEnums > 0;
  result.format = tempoEncoded ? "tempo-json" : "otlp-json";
  if (tempoEncoded && flavour.hexIds > 0) {
    result.warnings.push(
      `${flavour.hexIds} ID(s) are hex in a Tempo-encoded (base64) document; decoded as hex (Tempo itself would read them as base64 of the wrong length)`,
    );
  }
  return result;
}
