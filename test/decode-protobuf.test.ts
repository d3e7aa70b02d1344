// Protobuf decoding: the real SDK serializer's bytes against its own JSON, the TracesData /
// TraceByIDResponse choice, exact 64-bit values, field order, unknown fields, and damage reports.
import { SpanKind as ApiKind, SpanStatusCode } from "@opentelemetry/api";
import protobuf from "protobufjs/minimal.js";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { decodeInput } from "../src/decode/index";
import { encodeTraceByIdResponseProto, encodeTracesDataProto } from "../src/encode/index";
import { SpanKind, StatusCode } from "../src/model/span";

/** Three services, a remote hop with tracestate, a link, an event, an error, every SDK value type. */
function shopScenario(): TraceRecorder {
  const rec = new TraceRecorder({ seed: 11 });
  const gateway = rec.tracer("gateway", { resource: { "deployment.environment.name": "prod", "host.tags": ["blue", "canary"] } });
  const orders = rec.tracer("orders", { scopeName: "orders-http", scopeVersion: "2.1.0" });
  const root = gateway.startSpan("GET /orders/{id}", {
    kind: ApiKind.SERVER,
    startTime: rec.time(0),
    attributes: { "http.request.method": "GET", "http.response.status_code": 500, ratio: 0.25, cached: false, codes: [1, 2], note: "naïve café ✓" },
  });
  const client = gateway.startSpan("GET", { kind: ApiKind.CLIENT, startTime: rec.time(1) }, rec.within(root));
  const headers = { ...rec.inject(client), tracestate: "vendor=abc" };
  const server = orders.startSpan(
    "GET /orders/{id}",
    { kind: ApiKind.SERVER, startTime: rec.time(2), links: [{ context: root.spanContext(), attributes: { "link.reason": "retry" } }] },
    rec.extract(headers),
  );
  server.addEvent("exception", { "exception.type": "TimeoutError" }, rec.time(3));
  const publish = orders.startSpan("orders publish", { kind: ApiKind.PRODUCER, startTime: rec.time(4) }, rec.within(server));
  publish.end(rec.time(5));
  server.setStatus({ code: SpanStatusCode.ERROR, message: "upstream timed out" });
  server.end(rec.time(10.000001));
  client.end(rec.time(11));
  root.end(rec.time(12));
  rec.tracer("billing").startSpan("charge", { kind: ApiKind.INTERNAL, startTime: rec.time(20) }).end(rec.time(21));
  return rec;
}

describe("OTLP protobuf from the real SDK serializer", () => {
  it("decodes to exactly the spans the SDK's OTLP/JSON decodes to", async () => {
    const rec = shopScenario();
    const fromJson = await decodeInput(rec.toOtlpJson(), { name: "sdk.json" });
    const fromProto = await decodeInput(rec.toOtlpProtobuf(), { name: "sdk.pb" });
    expect(fromProto.format).toBe("otlp-proto");
    expect(fromProto.errors).toEqual([]);
    expect(fromProto.warnings).toEqual([]);
    expect(fromProto.spans).toHaveLength(5);
    expect(fromProto.spans).toEqual(fromJson.spans);
  });

  it("keeps IDs, tracestate, links, events, status, value types and nanoseconds", async () => {
    const rec = shopScenario();
    const { spans } = await decodeInput(rec.toOtlpProtobuf(), { name: "sdk.pb" });
    const sdkServer = rec.spans().find((s) => s.name === "GET /orders/{id}" && s.instrumentationScope.name === "orders-http")!;
    const server = spans.find((s) => s.spanId === sdkServer.spanContext().spanId)!;
    expect(server.traceId).toBe(sdkServer.spanContext().traceId);
    expect(server.parentSpanId).toBe(sdkServer.parentSpanContext!.spanId);
    expect(server.service).toBe("orders");
    expect(server.scope).toMatchObject({ name: "orders-http", version: "2.1.0" });
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.traceState).toBe("vendor=abc");
    expect(server.status).toEqual({ code: StatusCode.ERROR, message: "upstream timed out" });
    expect(server.startTimeUnixNano).toBe(1767225600002000000n);
    expect(server.endTimeUnixNano).toBe(1767225600010000001n);
    expect(server.events).toEqual([
      { timeUnixNano: 1767225600003000000n, name: "exception", attributes: new Map([["exception.type", "TimeoutError"]]), droppedAttributesCount: 0 },
    ]);
    const root = spans.find((s) => s.parentSpanId === "" && s.service === "gateway")!;
    expect(server.links).toEqual([
      { traceId: root.traceId, spanId: root.spanId, traceState: "", attributes: new Map([["link.reason", "retry"]]), droppedAttributesCount: 0, flags: 257 },
    ]);
    expect([...root.attributes]).toEqual([
      ["http.request.method", "GET"],
      ["http.response.status_code", 500],
      ["ratio", 0.25],
      ["cached", false],
      ["codes", [1, 2]],
      ["note", "naïve café ✓"],
    ]);
    expect(root.resource.attributes.get("host.tags")).toEqual(["blue", "canary"]);
    // Spans of one batch share one resource and one scope object (encoders regroup by identity).
    const ordersSpans = spans.filter((s) => s.service === "orders");
    expect(ordersSpans).toHaveLength(2);
    expect(ordersSpans[0]!.resource).toBe(ordersSpans[1]!.resource);
    expect(ordersSpans[0]!.scope).toBe(ordersSpans[1]!.scope);
  });
});

// Hand-built wire bytes (protobufjs Writer) for what no SDK emits: odd field order, unknown fields,
// extreme 64-bit values, damage.
type Writer = protobuf.Writer;
const LEN = 2;
const tag = (field: number, wire: number) => (field << 3) | wire;
function message(w: Writer, field: number, body: (w: Writer) => void): void {
  w.uint32(tag(field, LEN)).fork();
  body(w);
  w.ldelim();
}
function bytes(build: (w: Writer) => void): Uint8Array {
  const w = new protobuf.Writer();
  build(w);
  return w.finish();
}
const hex = (h: string) => Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)));
function serviceResource(w: Writer, service: string): void {
  message(w, 1, (r) => message(r, 1, (kv) => {
    kv.uint32(tag(1, LEN)).string("service.name");
    message(kv, 2, (v) => v.uint32(tag(1, LEN)).string(service));
  }));
}
function minimalSpan(w: Writer, spanIdHex: string, name: string, extra?: (w: Writer) => void): void {
  message(w, 2, (s) => {
    s.uint32(tag(1, LEN)).bytes(hex("0af7651916cd43dd8448eb211c80319c"));
    s.uint32(tag(2, LEN)).bytes(hex(spanIdHex));
    s.uint32(tag(5, LEN)).string(name);
    extra?.(s);
  });
}

describe("hand-built protobuf edge cases", () => {
  it("attaches resource and scope that come after the spans, and skips unknown fields", async () => {
    const body = bytes((w) =>
      message(w, 1, (rs) => {
        rs.uint32(tag(9, LEN)).string("unknown field in ResourceSpans");
        message(rs, 2, (ss) => {
          minimalSpan(ss, "b7ad6b7169203331", "late-scope", (s) => {
            s.uint32(tag(99, 5)).fixed32(7); // unknown fixed32
            s.uint32(tag(17, LEN)).string("unknown bytes");
            s.uint32(tag(40, 0)).uint32(300); // unknown varint
          });
          message(ss, 1, (scope) => scope.uint32(tag(1, LEN)).string("late.scope"));
          ss.uint32(tag(3, LEN)).string("https://opentelemetry.io/schemas/1.30.0");
        });
        serviceResource(rs, "late-resource");
      }),
    );
    const decoded = await decodeInput(body, { name: "order.pb" });
    expect(decoded.errors).toEqual([]);
    expect(decoded.spans).toHaveLength(1);
    const span = decoded.spans[0]!;
    expect(span).toMatchObject({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", name: "late-scope", service: "late-resource" });
    expect(span.scope.name).toBe("late.scope");
  });

  it("reads fixed64 and int64 at their extremes exactly", async () => {
    const body = bytes((w) =>
      message(w, 1, (rs) => {
        serviceResource(rs, "edge");
        message(rs, 2, (ss) =>
          minimalSpan(ss, "0000000000000001", "extremes", (s) => {
            s.uint32(tag(7, 1)).fixed32(0xffffffff).fixed32(0xffffffff); // start = 2^64 - 1
            s.uint32(tag(8, 1)).fixed32(1).fixed32(0x18aa0000); // end, a 2026 timestamp + 1ns
            const intAttribute = (key: string, value: number | { low: number; high: number }) =>
              message(s, 9, (kv) => {
                kv.uint32(tag(1, LEN)).string(key);
                message(kv, 2, (v) => v.uint32(tag(3, 0)).int64(value as number));
              });
            intAttribute("minus.one", -1);
            intAttribute("max.safe.plus.two", { low: 1, high: 0x200000 }); // 2^53 + 1
            intAttribute("min.int64", { low: 0, high: 0x80000000 });
          }),
        );
      }),
    );
    const [span] = (await decodeInput(body, { name: "extremes.pb" })).spans;
    expect(span!.startTimeUnixNano).toBe(18446744073709551615n);
    expect(span!.endTimeUnixNano).toBe((0x18aa0000n << 32n) | 1n);
    expect(span!.attributes.get("minus.one")).toBe(-1);
    expect(span!.attributes.get("max.safe.plus.two")).toBe(9007199254740993n);
    expect(span!.attributes.get("min.int64")).toBe(-9223372036854775808n);
  });

  it("skips a damaged ResourceSpans, keeps the others and names the path and byte", async () => {
    const body = bytes((w) => {
      message(w, 1, (rs) => {
        serviceResource(rs, "first");
        message(rs, 2, (ss) => minimalSpan(ss, "1111111111111111", "ok-1"));
      });
      message(w, 1, (rs) => {
        serviceResource(rs, "broken");
        message(rs, 2, (ss) => minimalSpan(ss, "2222222222222222", "broken", (s) => s.uint32(tag(6, LEN)).string("kind as bytes")));
      });
      message(w, 1, (rs) => {
        serviceResource(rs, "third");
        message(rs, 2, (ss) => minimalSpan(ss, "3333333333333333", "ok-3"));
      });
    });
    const decoded = await decodeInput(body, { name: "mixed.pb" });
    expect(decoded.spans.map((s) => `${s.service}/${s.name}`)).toEqual(["first/ok-1", "third/ok-3"]);
    expect(decoded.errors).toHaveLength(1);
    const match = /^resourceSpans\[1\]\.scopeSpans\[0\]\.spans\[0\]: field 6 has wire type 2, which it never uses at byte (\d+) \(batch skipped\)$/.exec(decoded.errors[0]!);
    expect(match).not.toBeNull();
    // The offset points just past the offending tag.
    expect(body[Number(match![1]) - 1]).toBe(tag(6, LEN));
  });

  it("reports a truncated body as a DecodeError with the batch path and offset", async () => {
    const full = shopScenario().toOtlpProtobuf();
    const reader = new protobuf.Reader(full);
    reader.uint32();
    const declared = reader.uint32();
    await expect(decodeInput(full.subarray(0, 100), { name: "cut.pb" })).rejects.toThrow(
      `cut.pb: not a valid OTLP trace protobuf: resourceSpans[0]: length ${declared} runs past the end of the data (truncated) at byte 1`,
    );
  });

  it("keeps the batches read before a truncated one (an upload cut short) and says the rest was skipped", async () => {
    const first = bytes((w) => message(w, 1, (rs) => {
      serviceResource(rs, "first");
      message(rs, 2, (ss) => minimalSpan(ss, "1111111111111111", "ok-1"));
    }));
    const second = bytes((w) => message(w, 1, (rs) => {
      serviceResource(rs, "second");
      message(rs, 2, (ss) => minimalSpan(ss, "2222222222222222", "cut"));
    }));
    const cut = Uint8Array.from([...first, ...second.subarray(0, 1)]); // the tag only: no length
    const decoded = await decodeInput(cut, { name: "cut.pb" });
    expect(decoded.spans.map((s) => `${s.service}/${s.name}`)).toEqual(["first/ok-1"]);
    expect(decoded.errors).toEqual([`resourceSpans[1]: truncated at byte ${first.length + 1} (the rest of the input skipped)`]);
    const overlong = Uint8Array.from([...first, ...second.subarray(0, second.length - 3)]);
    const kept = await decodeInput(overlong, { name: "cut.pb" });
    expect(kept.spans.map((s) => s.name)).toEqual(["ok-1"]);
    expect(kept.errors[0]).toMatch(/^resourceSpans\[1\]: length \d+ runs past the end of the data \(truncated\) at byte \d+ \(the rest of the input skipped\)$/);
  });

  it("rejects a nested length that overruns its enclosing message", async () => {
    const good = bytes((w) => message(w, 1, (rs) => message(rs, 2, (ss) => minimalSpan(ss, "1111111111111111", "x"))));
    const next = bytes((w) => message(w, 1, (rs) => message(rs, 2, (ss) => minimalSpan(ss, "2222222222222222", "next"))));
    // Bytes: 0a L1 12 L2 12 L3 <span>. Grow the span's length by one: it now overruns its
    // scopeSpans but not the data, so the next batch is still found and read.
    const broken = Uint8Array.from([...good, ...next]);
    broken[5] = broken[5]! + 1;
    const decoded = await decodeInput(broken, { name: "overrun.pb" });
    expect(decoded.spans.map((s) => s.name)).toEqual(["next"]);
    expect(decoded.errors).toEqual([
      `resourceSpans[0].scopeSpans[0].spans[0]: length ${broken[5]} runs past the end of its enclosing message at byte 5 (batch skipped)`,
    ]);
    // At the very end of the data the same overrun is a truncation, and nothing else is readable.
    await expect(decodeInput(broken.subarray(0, good.length), { name: "overrun.pb" })).rejects.toThrow(
      `overrun.pb: no readable ResourceSpans: resourceSpans[0].scopeSpans[0].spans[0]: length ${broken[5]} runs past the end of the data (truncated) at byte 5`,
    );
  });
});

describe("TracesData or TraceByIDResponse", () => {
  async function sdkSpans() {
    const rec = shopScenario();
    return (await decodeInput(rec.toOtlpProtobuf(), { name: "sdk.pb" })).spans;
  }

  it("recognises TraceByIDResponse by structure, even with a single batch and nothing else set", async () => {
    const spans = await sdkSpans();
    const single = spans.filter((s) => s.service === "billing");
    const decoded = await decodeInput(encodeTraceByIdResponseProto(single), { name: "v2.pb" });
    expect(decoded.format).toBe("tempo-proto");
    expect(decoded.spans).toEqual(single);
    expect(decoded.partial).toBeUndefined();
    expect(decoded.notFound).toBeUndefined();
    const many = await decodeInput(encodeTraceByIdResponseProto(spans), { name: "v2.pb" });
    expect(many.format).toBe("tempo-proto");
    expect(many.spans).toEqual(spans);
  });

  it("recognises TracesData by structure, with one batch or several", async () => {
    const spans = await sdkSpans();
    const single = await decodeInput(encodeTracesDataProto(spans.filter((s) => s.service === "billing")), { name: "td.pb" });
    expect(single.format).toBe("otlp-proto");
    expect(single.spans.map((s) => s.name)).toEqual(["charge"]);
    const many = await decodeInput(encodeTracesDataProto(spans), { name: "td.pb" });
    expect(many.format).toBe("otlp-proto");
    expect(many.spans).toEqual(spans);
  });

  it("reads PARTIAL status and message, skips metrics, and treats an empty trace as not found", async () => {
    const spans = await sdkSpans();
    const partial = encodeTraceByIdResponseProto(spans, { partialMessage: "Trace exceeds maximum size of 5000000 bytes, a partial trace is returned" });
    // Tempo also sends TraceByIDMetrics (field 2: {1 inspectedBytes}); it must be skipped.
    const withMetrics = new Uint8Array([...bytes((w) => message(w, 2, (m) => m.uint32(tag(1, 0)).uint32(292781))), ...partial]);
    const decoded = await decodeInput(withMetrics, { name: "partial.pb" });
    expect(decoded.format).toBe("tempo-proto");
    expect(decoded.partial).toEqual({ reason: "Trace exceeds maximum size of 5000000 bytes, a partial trace is returned" });
    expect(decoded.spans).toHaveLength(5);
    const empty = await decodeInput(encodeTraceByIdResponseProto([]), { name: "missing.pb" });
    expect(empty).toMatchObject({ format: "tempo-proto", spans: [], errors: [], notFound: true });
  });

  it("follows a Content-Type that names the message, in both directions", async () => {
    const spans = (await sdkSpans()).filter((s) => s.service === "billing");
    // An empty Trace (0a 00) looks like Tempo's not-found response; the hint makes it TracesData.
    const emptyTrace = encodeTraceByIdResponseProto([]);
    const asTracesData = await decodeInput(emptyTrace, { name: "a.pb", contentType: "application/x-protobuf; proto=opentelemetry.proto.trace.v1.TracesData" });
    expect(asTracesData).toMatchObject({ format: "otlp-proto", spans: [] });
    expect(asTracesData.notFound).toBeUndefined();
    // Forcing the other reading on real TracesData: its fields no longer fit, and the path shows
    // the TraceByIDResponse reading was used.
    await expect(
      decodeInput(encodeTracesDataProto(spans), { name: "b.pb", contentType: "application/protobuf; proto=tempopb.TraceByIDResponse" }),
    ).rejects.toThrow(/^b\.pb: no readable ResourceSpans: trace\.resourceSpans\[0\]\./);
    const hinted = await decodeInput(encodeTraceByIdResponseProto(spans), { name: "c.pb", contentType: "application/protobuf; proto=tempopb.TraceByIDResponse" });
    expect(hinted.format).toBe("tempo-proto");
    expect(hinted.spans).toEqual(spans);
    // Plain application/protobuf (what Tempo sends for both endpoints) leaves it to the structure.
    const plain = await decodeInput(encodeTracesDataProto(spans), { name: "d.pb", contentType: "application/protobuf" });
    expect(plain.format).toBe("otlp-proto");
  });
});
