// The protobuf decoder must run inside workerd, where code generation (eval/new Function) is
// forbidden: protobufjs/minimal's Reader only, no reflection or generated decoders.
import { SpanKind as ApiKind } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../../fixtures/lib/recorder";
import { decodeInput } from "../../src/decode/index";
import { encodeTraceByIdResponseProto } from "../../src/encode/index";
import { SpanKind } from "../../src/model/span";

function checkoutTrace(): TraceRecorder {
  const rec = new TraceRecorder({ seed: 9 });
  const web = rec.tracer("web");
  const root = web.startSpan("POST /checkout", { kind: ApiKind.SERVER, startTime: rec.time(0), attributes: { "http.response.status_code": 201 } });
  const call = web.startSpan("POST", { kind: ApiKind.CLIENT, startTime: rec.time(1) }, rec.within(root));
  rec.tracer("payments").startSpan("POST /charge", { kind: ApiKind.SERVER, startTime: rec.time(2) }, rec.extract(rec.inject(call))).end(rec.time(8.000001));
  call.end(rec.time(9));
  root.end(rec.time(10));
  return rec;
}

describe("protobuf decoding inside workerd", () => {
  it("decodes the SDK's OTLP protobuf, gzip'd, with exact nanoseconds", async () => {
    const rec = checkoutTrace();
    const gz = await new Response(new Blob([rec.toOtlpProtobuf() as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
    const decoded = await decodeInput(new Uint8Array(gz), { name: "trace.pb.gz" });
    expect(decoded.format).toBe("otlp-proto");
    expect(decoded.errors).toEqual([]);
    expect(decoded.spans.map((s) => `${s.service} ${s.name}`).sort()).toEqual(["payments POST /charge", "web POST", "web POST /checkout"]);
    const charge = decoded.spans.find((s) => s.service === "payments")!;
    expect(charge.kind).toBe(SpanKind.SERVER);
    expect(charge.endTimeUnixNano).toBe(1767225600008000001n);
    expect(charge.parentSpanId).toBe(rec.spans().find((s) => s.name === "POST")!.spanContext().spanId);
    const json = await decodeInput(rec.toOtlpJson(), { name: "trace.json" });
    expect(decoded.spans).toEqual(json.spans);
  });

  it("decodes a partial Tempo TraceByIDResponse and an empty one as not found", async () => {
    const { spans } = await decodeInput(checkoutTrace().toOtlpProtobuf(), { name: "trace.pb" });
    const body = encodeTraceByIdResponseProto(spans, { partialMessage: "Trace exceeds maximum size of 5000000 bytes, a partial trace is returned" });
    const decoded = await decodeInput(body, { name: "v2.pb", contentType: "application/protobuf" });
    expect(decoded.format).toBe("tempo-proto");
    expect(decoded.partial).toEqual({ reason: "Trace exceeds maximum size of 5000000 bytes, a partial trace is returned" });
    expect(decoded.spans).toEqual(spans);
    const missing = await decodeInput(encodeTraceByIdResponseProto([]), { name: "missing.pb" });
    expect(missing).toMatchObject({ format: "tempo-proto", spans: [], notFound: true });
  });
});
