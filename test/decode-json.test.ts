import { SpanKind as ApiKind } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { decodeInput } from "../src/decode/index";
import { SpanFlags, SpanKind } from "../src/model/span";

function twoServiceCall() {
  const rec = new TraceRecorder({ seed: 42 });
  const gateway = rec.tracer("gateway");
  const orders = rec.tracer("orders", { resource: { "k8s.namespace.name": "shop" } });
  const root = gateway.startSpan("GET /orders/{id}", { kind: ApiKind.SERVER, startTime: rec.time(0) });
  const client = gateway.startSpan("GET", { kind: ApiKind.CLIENT, startTime: rec.time(1), attributes: { "server.address": "orders" } }, rec.within(root));
  const server = orders.startSpan("GET /orders/{id}", { kind: ApiKind.SERVER, startTime: rec.time(2), attributes: { "http.route": "/orders/{id}", "http.response.status_code": 200 } }, rec.extract(rec.inject(client)));
  server.addEvent("cache.miss", { "cache.key": "orders:1" }, rec.time(3));
  server.end(rec.time(10.000001));
  client.end(rec.time(11));
  root.end(rec.time(12));
  return rec;
}

describe("OTLP/JSON from the real SDK serializer", () => {
  it("decodes IDs, kinds, parents, remote flags, events and nanosecond times", async () => {
    const rec = twoServiceCall();
    const decoded = await decodeInput(rec.toOtlpJson(), { name: "sdk.json" });
    expect(decoded.format).toBe("otlp-json");
    expect(decoded.errors).toEqual([]);
    expect(decoded.spans).toHaveLength(3);
    const sdk = rec.spans();
    const byId = new Map(decoded.spans.map((s) => [s.spanId, s]));
    for (const s of sdk) {
      const d = byId.get(s.spanContext().spanId)!;
      expect(d.traceId).toBe(s.spanContext().traceId);
      expect(d.parentSpanId).toBe(s.parentSpanContext?.spanId ?? "");
    }
    const server = decoded.spans.find((s) => s.service === "orders")!;
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.flags & SpanFlags.CONTEXT_IS_REMOTE).toBe(SpanFlags.CONTEXT_IS_REMOTE);
    expect(server.attributes.get("http.response.status_code")).toBe(200);
    expect(server.resource.attributes.get("k8s.namespace.name")).toBe("shop");
    expect(server.events[0]!.name).toBe("cache.miss");
    expect(server.endTimeUnixNano).toBe(1767225600010000001n);
    const client = decoded.spans.find((s) => s.kind === SpanKind.CLIENT)!;
    expect(client.flags & SpanFlags.CONTEXT_HAS_IS_REMOTE).toBe(SpanFlags.CONTEXT_HAS_IS_REMOTE);
    expect(client.flags & SpanFlags.CONTEXT_IS_REMOTE).toBe(0);
  });
});
