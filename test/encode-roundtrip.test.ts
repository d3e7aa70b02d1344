// Encoders: model → every encoder → decoder is the identity, the Tempo encoding matches what real
// Tempo wrote (tempo-vulture's gogo-jsonpb fixture), and envelopes/shapes follow tempo.md §2.
import { SpanKind as ApiKind, SpanStatusCode } from "@opentelemetry/api";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { decodeInput } from "../src/decode/index";
import {
  encodeOtlpJson,
  encodeTempoJson,
  encodeTraceByIdResponseProto,
  encodeTracesDataProto,
} from "../src/encode/index";
import type { AttributeValue, Resource, Span } from "../src/model/span";

const utf8 = new TextEncoder();
const b64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");

async function sdkSpans(): Promise<Span[]> {
  const rec = new TraceRecorder({ seed: 23 });
  const web = rec.tracer("web", { resource: { "service.version": "1.4.2", "host.tags": ["a", "b"] } });
  const api = rec.tracer("api", { scopeName: "api-http" });
  const root = web.startSpan("GET /cart", { kind: ApiKind.SERVER, startTime: rec.time(0), attributes: { "http.response.status_code": 200, share: 0.5, ok: true } });
  const call = web.startSpan("POST", { kind: ApiKind.CLIENT, startTime: rec.time(1) }, rec.within(root));
  const server = api.startSpan("POST /cart/items", { kind: ApiKind.SERVER, startTime: rec.time(2), links: [{ context: root.spanContext() }] }, rec.extract({ ...rec.inject(call), tracestate: "k=v" }));
  server.addEvent("retry", { attempt: 2 }, rec.time(3));
  server.setStatus({ code: SpanStatusCode.ERROR, message: "conflict" });
  server.end(rec.time(4.5));
  call.end(rec.time(5));
  root.setStatus({ code: SpanStatusCode.OK });
  root.end(rec.time(6));
  return (await decodeInput(rec.toOtlpProtobuf(), { name: "sdk.pb" })).spans;
}

/**
 * Hand-built model spans (no SDK can emit these value types): kvlists with a `__proto__` key,
 * bytes, int64 beyond 2^53, null, nested arrays, non-finite doubles, kind/status zero, 64-bit
 * trace ID padding, dropped counts.
 */
function edgeSpans(): Span[] {
  const resource: Resource = { attributes: new Map([["service.name", "edge"]]), droppedAttributesCount: 3 };
  const scope = { name: "", version: "", attributes: new Map<string, AttributeValue>([["scope.k", "v"]]), droppedAttributesCount: 1 };
  const attributes = new Map<string, AttributeValue>([
    ["kv", new Map<string, AttributeValue>([["__proto__", "plain"], ["n", 1]])],
    ["empty.kv", new Map()],
    ["bytes", new Uint8Array([0, 255, 16])],
    ["empty.bytes", new Uint8Array()],
    ["big", 9007199254740993n],
    ["negative.big", -9223372036854775808n],
    ["negative", -42],
    ["nothing", null],
    ["nested", [[1, "two"], [], [null, false]]],
    ["inf", Infinity],
    ["nan", NaN],
    ["empty", ""],
    ["zero", 0],
    ["off", false],
  ]);
  const base: Span = {
    traceId: "00000000000000004bf92f3577b34da6",
    spanId: "00f067aa0ba902b7",
    parentSpanId: "",
    name: "",
    kind: 0,
    service: "edge",
    resource,
    scope,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 18446744073709551615n,
    status: { code: 0, message: "" },
    attributes,
    events: [{ timeUnixNano: 1n, name: "", attributes: new Map(), droppedAttributesCount: 2 }],
    links: [{ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceState: "a=b", attributes: new Map(), droppedAttributesCount: 0, flags: 0x301 }],
    droppedAttributesCount: 4,
    droppedEventsCount: 5,
    droppedLinksCount: 6,
    flags: 0x100,
    traceState: "",
  };
  const sibling: Span = { ...base, spanId: "00f067aa0ba902b8", parentSpanId: "00f067aa0ba902b7", name: "child", kind: 5, status: { code: 2, message: "" }, attributes: new Map(), events: [], links: [] };
  return [base, sibling];
}

const ENCODINGS = [
  { name: "Tempo JSON v1", format: "tempo-json", encode: (s: Span[]) => utf8.encode(encodeTempoJson(s, { envelope: "v1" })) },
  { name: "Tempo JSON v2", format: "tempo-json", encode: (s: Span[]) => utf8.encode(encodeTempoJson(s, { envelope: "v2" })) },
  { name: "Tempo JSON trace", format: "tempo-json", encode: (s: Span[]) => utf8.encode(encodeTempoJson(s, { envelope: "trace" })) },
  { name: "OTLP/JSON", format: "otlp-json", encode: (s: Span[]) => utf8.encode(encodeOtlpJson(s)) },
  { name: "TracesData protobuf", format: "otlp-proto", encode: (s: Span[]) => encodeTracesDataProto(s) },
  { name: "TraceByIDResponse protobuf", format: "tempo-proto", encode: (s: Span[]) => encodeTraceByIdResponseProto(s) },
] as const;

describe.each(ENCODINGS)("model → $name → decoder", ({ format, encode }) => {
  it("returns the same spans, batching and all", async () => {
    const spans = [...(await sdkSpans()), ...edgeSpans()];
    const decoded = await decodeInput(encode(spans), { name: "roundtrip" });
    expect(decoded.format).toBe(format);
    expect(decoded.errors).toEqual([]);
    expect(decoded.warnings).toEqual([]);
    expect(decoded.spans).toEqual(spans);
    const resources = (list: Span[]) => new Set(list.map((s) => s.resource)).size;
    const scopes = (list: Span[]) => new Set(list.map((s) => s.scope)).size;
    expect(resources(decoded.spans)).toBe(resources(spans));
    expect(scopes(decoded.spans)).toBe(scopes(spans));
  });
});

describe("Tempo JSON against real Tempo output", () => {
  const vulturePath = new URL("../../shared/upstream-data/tempo/tempo-api-json/vulture-trace.gogo-jsonpb.json", import.meta.url);

  it("re-encodes tempo-vulture's gogo-jsonpb trace to the same JSON (and the same bytes)", async () => {
    const original = readFileSync(vulturePath, "utf8");
    const decoded = await decodeInput(utf8.encode(original), { name: "vulture" });
    const encoded = encodeTempoJson(decoded.spans, { envelope: "trace" });
    // Semantic equality: omitted zero values, "status":{}, "scope":{}, base64 IDs, int64 strings.
    expect(JSON.parse(encoded)).toEqual(JSON.parse(original));
    // Key order follows trace.proto declaration order exactly as jsonpb does.
    expect(encoded).toBe(original);
  });

  it("wraps the same resourceSpans as v1 batches and as a v2 response", async () => {
    const decoded = await decodeInput(readFileSync(vulturePath), { name: "vulture" });
    const trace = JSON.parse(encodeTempoJson(decoded.spans, { envelope: "trace" }));
    const v1 = JSON.parse(encodeTempoJson(decoded.spans, { envelope: "v1" }));
    expect(v1).toEqual({ batches: trace.resourceSpans });
    const v2 = JSON.parse(encodeTempoJson(decoded.spans, { envelope: "v2" }));
    expect(Object.keys(v2)).toEqual(["trace", "metrics"]);
    expect(v2.trace).toEqual(trace);
    expect(v2.metrics).toEqual({ inspectedBytes: String(utf8.encode(JSON.stringify(trace)).byteLength) });
  });
});

describe("envelopes and shapes", () => {
  it("writes Tempo's encoding: base64 IDs, enum names, int64 strings, zero values omitted", async () => {
    const spans = await sdkSpans();
    const server = spans.find((s) => s.name === "POST /cart/items")!;
    const json = JSON.parse(encodeTempoJson([server], { envelope: "v1" }));
    expect(json.batches[0].scopeSpans[0].scope).toEqual({ name: "api-http", version: "1.0.0" });
    expect(json.batches[0].scopeSpans[0].spans[0]).toEqual({
      traceId: b64(server.traceId),
      spanId: b64(server.spanId),
      traceState: "k=v",
      parentSpanId: b64(server.parentSpanId),
      flags: 0x301,
      name: "POST /cart/items",
      kind: "SPAN_KIND_SERVER",
      startTimeUnixNano: "1767225600002000000",
      endTimeUnixNano: "1767225600004500000",
      events: [{ timeUnixNano: "1767225600003000000", name: "retry", attributes: [{ key: "attempt", value: { intValue: "2" } }] }],
      links: [{ traceId: b64(server.traceId), spanId: b64(server.links[0]!.spanId), flags: 0x101 }],
      status: { message: "conflict", code: "STATUS_CODE_ERROR" },
    });
  });

  it("writes OTLP/JSON: hex IDs, integer enums", async () => {
    const spans = await sdkSpans();
    const root = spans.find((s) => s.name === "GET /cart")!;
    const json = JSON.parse(encodeOtlpJson([root]));
    const span = json.resourceSpans[0].scopeSpans[0].spans[0];
    expect(span).toMatchObject({ traceId: root.traceId, spanId: root.spanId, kind: 2, status: { code: 1 } });
    expect(span.attributes).toEqual([
      { key: "http.response.status_code", value: { intValue: "200" } },
      { key: "share", value: { doubleValue: 0.5 } },
      { key: "ok", value: { boolValue: true } },
    ]);
  });

  it("marks v2 PARTIAL and writes Tempo's empty answers", async () => {
    const spans = await sdkSpans();
    const partial = encodeTempoJson(spans, { envelope: "v2", partialMessage: "Trace filtered, only a subset of spans matching the filter is returned" });
    expect(Object.keys(JSON.parse(partial))).toEqual(["trace", "metrics", "status", "message"]);
    const decoded = await decodeInput(utf8.encode(partial), { name: "partial.json" });
    expect(decoded.partial).toEqual({ reason: "Trace filtered, only a subset of spans matching the filter is returned" });
    expect(decoded.spans).toEqual(spans);
    expect(encodeTempoJson([], { envelope: "v2" })).toBe('{"trace":{},"metrics":{}}');
    expect(encodeTempoJson([], { envelope: "trace" })).toBe("{}");
    expect(encodeTempoJson([], { envelope: "v1" })).toBe("{}");
    const notFound = await decodeInput(utf8.encode(encodeTempoJson([], { envelope: "v2" })), { name: "missing.json" });
    expect(notFound).toMatchObject({ format: "tempo-json", spans: [], notFound: true });
    expect(Array.from(encodeTraceByIdResponseProto([]))).toEqual([0x0a, 0x00]);
  });

  it("groups interleaved spans by resource and scope identity, in first-seen order", async () => {
    const spans = await sdkSpans();
    const web = spans.filter((s) => s.service === "web");
    const api = spans.filter((s) => s.service === "api");
    const interleaved = [web[0]!, api[0]!, web[1]!];
    const json = JSON.parse(encodeOtlpJson(interleaved));
    expect(json.resourceSpans.map((rs: { scopeSpans: { spans: { name: string }[] }[] }) => rs.scopeSpans.map((ss) => ss.spans.map((s) => s.name)))).toEqual([
      [[web[0]!.name, web[1]!.name]],
      [[api[0]!.name]],
    ]);
  });
});
