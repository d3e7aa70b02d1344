// Shapes of healthy traffic that propagation-gap and clock-skew used to report as broken (found by
// generating realistic estates with the OpenTelemetry SDK): a public host whose first DNS label is
// also one of our services' names, a call that failed before any server answered, and a server
// that went on after its client gave up. Real SDK spans; each case also checks the broken shape
// next to it is still reported.
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { builtinRules } from "../rules/index";
import { resolveConfig } from "../src/engine/config";
import { checkInputs } from "../src/pipeline/check";
import type { Report } from "../src/report/schema";

async function check(rec: TraceRecorder): Promise<Report> {
  return checkInputs([{ name: "sdk.json", read: async () => rec.toOtlpJson() }], resolveConfig({}, builtinRules), { now: new Date(0) });
}

const edge = (report: Report, from: string, to: string) => report.coverage!.edges.find((e) => e.from === from && e.to === to);

describe("propagation-gap", () => {
  it("does not take api.stripe.com for our own `api` service; a cluster name like api.payments still resolves", async () => {
    const rec = new TraceRecorder({ seed: 31 });
    const checkout = rec.tracer("checkout");
    const api = rec.tracer("api");
    for (let i = 0; i < 5; i++) {
      const t = i * 1000;
      const root = checkout.startSpan("POST /checkout", { kind: SpanKind.SERVER, startTime: rec.time(t) });
      checkout.startSpan("POST", { kind: SpanKind.CLIENT, startTime: rec.time(t + 1), attributes: { "http.request.method": "POST", "server.address": "api.stripe.com", "http.response.status_code": 200 } }, rec.within(root)).end(rec.time(t + 5));
      // Our own `api`, reached by its cluster name, whose SERVER span continues the trace.
      const call = checkout.startSpan("GET", { kind: SpanKind.CLIENT, startTime: rec.time(t + 6), attributes: { "http.request.method": "GET", "server.address": "api.payments", "http.response.status_code": 200 } }, rec.within(root));
      api.startSpan("GET /limits", { kind: SpanKind.SERVER, startTime: rec.time(t + 7) }, rec.extract(rec.inject(call))).end(rec.time(t + 8));
      call.end(rec.time(t + 9));
      root.end(rec.time(t + 10));
    }
    const report = await check(rec);
    expect(report.findings.filter((f) => f.ruleId === "propagation-gap")).toEqual([]);
    expect(edge(report, "checkout", "api")).toEqual({ from: "checkout", to: "api", propagated: 5, total: 5, splitTraces: 0 });
    expect(report.coverage!.services.find((s) => s.service === "checkout")!.externalCalls).toBe(5);
  });

  it("does not count a call that failed before any server answered (a retried connection refusal); an unanswered call with a status code still counts", async () => {
    const rec = new TraceRecorder({ seed: 32 });
    const cart = rec.tracer("cart");
    const pricing = rec.tracer("pricing");
    const attrs = { "http.request.method": "GET", "server.address": "pricing" };
    for (let i = 0; i < 5; i++) {
      const t = i * 1000;
      const root = cart.startSpan("GET /cart", { kind: SpanKind.SERVER, startTime: rec.time(t) });
      if (i < 4) {
        // First attempt: ECONNREFUSED, no answer at all; the retry goes through.
        const refused = cart.startSpan("GET", { kind: SpanKind.CLIENT, startTime: rec.time(t + 1), attributes: { ...attrs, "error.type": "ECONNREFUSED" } }, rec.within(root));
        refused.setStatus({ code: SpanStatusCode.ERROR });
        refused.end(rec.time(t + 2));
      }
      const retry = cart.startSpan("GET", { kind: SpanKind.CLIENT, startTime: rec.time(t + 3), attributes: { ...attrs, "http.response.status_code": i === 4 ? 502 : 200 } }, rec.within(root));
      if (i === 4) retry.setStatus({ code: SpanStatusCode.ERROR }); // answered 502 by a proxy: pricing never saw it
      else pricing.startSpan("GET /price", { kind: SpanKind.SERVER, startTime: rec.time(t + 4) }, rec.extract(rec.inject(retry))).end(rec.time(t + 5));
      retry.end(rec.time(t + 6));
      root.end(rec.time(t + 7));
    }
    const report = await check(rec);
    expect(edge(report, "cart", "pricing")).toEqual({ from: "cart", to: "pricing", propagated: 4, total: 5, splitTraces: 0 });
  });
});

describe("propagation-gap in a service mesh", () => {
  it("counts the sidecar's call as the hop when the app's CLIENT span hands its call to a sidecar CLIENT span (Istio/Envoy tracing both)", async () => {
    const rec = new TraceRecorder({ seed: 35 });
    const app = rec.tracer("frontend");
    const outbound = rec.tracer("frontend.default"); // the sidecar, named after the workload
    const inbound = rec.tracer("inventory.default");
    const inventory = rec.tracer("inventory");
    for (let i = 0; i < 5; i++) {
      const t = i * 1000;
      const root = app.startSpan("GET /", { kind: SpanKind.SERVER, startTime: rec.time(t) });
      const call = app.startSpan("GET", { kind: SpanKind.CLIENT, startTime: rec.time(t + 1), attributes: { "http.request.method": "GET", "server.address": "inventory" } }, rec.within(root));
      const proxied = outbound.startSpan("inventory.default.svc.cluster.local:80/*", { kind: SpanKind.CLIENT, startTime: rec.time(t + 2), attributes: { "http.request.method": "GET", "server.address": "inventory.default.svc.cluster.local" } }, rec.within(call));
      const arrived = inbound.startSpan("inventory.default.svc.cluster.local:80/*", { kind: SpanKind.SERVER, startTime: rec.time(t + 3) }, rec.extract(rec.inject(proxied)));
      inventory.startSpan("GET /stock", { kind: SpanKind.SERVER, startTime: rec.time(t + 4) }, rec.extract(rec.inject(arrived))).end(rec.time(t + 5));
      for (const [span, end] of [[arrived, 6], [proxied, 7], [call, 8], [root, 9]] as const) span.end(rec.time(t + end));
    }
    const report = await check(rec);
    expect(report.findings.filter((f) => f.ruleId === "propagation-gap")).toEqual([]);
    expect(report.coverage!.edges.map((e) => [e.from, e.to, e.propagated, e.total])).toEqual([["frontend.default", "inventory.default", 5, 5]]);
  });
});

describe("propagation-gap and messaging", () => {
  it("keeps a Kafka topic and a RabbitMQ queue of the same name apart (messaging.system)", async () => {
    const rec = new TraceRecorder({ seed: 34 });
    const pairs = [
      { producer: rec.tracer("auth-svc"), consumer: rec.tracer("audit-log"), system: "kafka" },
      { producer: rec.tracer("scheduler"), consumer: rec.tracer("mailer"), system: "rabbitmq" },
    ];
    for (let i = 0; i < 5; i++) {
      for (const [p, pair] of pairs.entries()) {
        const t = i * 1000 + p * 100;
        const attributes = { "messaging.system": pair.system, "messaging.destination.name": "events", "messaging.operation.type": "send" };
        const root = pair.producer.startSpan("job", { kind: SpanKind.INTERNAL, startTime: rec.time(t) });
        const send = pair.producer.startSpan("events publish", { kind: SpanKind.PRODUCER, startTime: rec.time(t + 1), attributes }, rec.within(root));
        send.end(rec.time(t + 2));
        // One message of each is dropped by the consumer's sampler: no CONSUMER span at all.
        if (i !== 2) pair.consumer.startSpan("events process", { kind: SpanKind.CONSUMER, startTime: rec.time(t + 10), attributes: { ...attributes, "messaging.operation.type": "process" } }, rec.extract(rec.inject(send))).end(rec.time(t + 11));
        root.end(rec.time(t + 3));
      }
    }
    const report = await check(rec);
    const edges = report.coverage!.edges.map((e) => [e.from, e.to, e.propagated, e.total]);
    expect(edges).toEqual(expect.arrayContaining([["auth-svc", "audit-log", 4, 5], ["scheduler", "mailer", 4, 5]]));
    // No edge across the two brokers.
    expect(edges.filter(([from, to]) => (from === "auth-svc" && to === "mailer") || (from === "scheduler" && to === "audit-log"))).toEqual([]);
  });

  /** `orders` publishes `count` messages, one per second; `consume(i)` says how `fulfillment` consumed message i. */
  function messaging(seed: number, count: number, consume: (i: number) => "child" | "link" | "new-trace" | "none") {
    const rec = new TraceRecorder({ seed });
    const orders = rec.tracer("orders");
    const fulfillment = rec.tracer("fulfillment");
    const attributes = { "messaging.system": "kafka", "messaging.destination.name": "order-events", "messaging.operation.type": "send" };
    const consumerAttributes = { ...attributes, "messaging.operation.type": "process" };
    for (let i = 0; i < count; i++) {
      const t = i * 1000;
      const root = orders.startSpan("POST /orders", { kind: SpanKind.SERVER, startTime: rec.time(t), attributes: { "app.message": i } });
      const send = orders.startSpan("order-events publish", { kind: SpanKind.PRODUCER, startTime: rec.time(t + 1), attributes: { ...attributes, "app.message": i } }, rec.within(root));
      send.end(rec.time(t + 2));
      root.end(rec.time(t + 3));
      const how = consume(i);
      const options = { kind: SpanKind.CONSUMER, startTime: rec.time(t + 500), attributes: { ...consumerAttributes, "app.message": i } };
      if (how === "child") fulfillment.startSpan("order-events process", options, rec.extract(rec.inject(send))).end(rec.time(t + 510));
      // Batch-style consumers start a trace of their own and link to the message's producer span.
      if (how === "link") fulfillment.startSpan("order-events process", { ...options, links: [{ context: send.spanContext() }] }, rec.extract({})).end(rec.time(t + 510));
      if (how === "new-trace") fulfillment.startSpan("order-events process", options, rec.extract({})).end(rec.time(t + 510));
    }
    return rec;
  }

  it("does not count messages produced after the consumer's last consumption in the data (consumed after the window); a message skipped mid-stream still counts", async () => {
    const report = await check(messaging(35, 6, (i) => (i === 5 ? "none" : i === 2 ? "new-trace" : "child")));
    expect(edge(report, "orders", "fulfillment")).toEqual({ from: "orders", to: "fulfillment", propagated: 4, total: 5, splitTraces: 0, undecided: 1 });
    const gaps = report.findings.filter((f) => f.ruleId === "propagation-gap");
    expect(gaps.map((f) => [f.subject, f.occurrences])).toEqual([["orders→fulfillment", 1]]);
  });

  it("does not judge unlinked messages when the consumer links to producers whose traces are mostly absent (a sampled audit)", async () => {
    // Twenty messages, all consumed with links. The audit sampled the producers' traces of
    // messages 0–9 and, independently, the consumers' traces of messages 7–16.
    const rec = messaging(36, 20, () => "link");
    const message = (span: { attributes: Record<string, unknown> }) => span.attributes["app.message"] as number;
    const sampled = rec.spans().filter((span) => (span.resource.attributes["service.name"] === "orders" ? message(span) < 10 : message(span) >= 7 && message(span) <= 16));
    const report = await checkInputs([{ name: "sampled.json", read: async () => rec.toOtlpJson(sampled) }], resolveConfig({}, builtinRules), { now: new Date(0) });
    expect(edge(report, "orders", "fulfillment")).toEqual({ from: "orders", to: "fulfillment", propagated: 3, total: 3, splitTraces: 0, undecided: 7 });
    expect(report.findings.filter((f) => f.ruleId === "propagation-gap")).toEqual([]);
  });

  it("judges undecided messages the same when the audit is sharded (consumption merges across shards)", async () => {
    const { decodeInput } = await import("../src/decode/index");
    const { Analyzer } = await import("../src/engine/analyzer");
    const { TraceAssembler } = await import("../src/engine/assemble");
    const rec = messaging(38, 12, (i) => (i === 11 ? "none" : i === 4 ? "new-trace" : "link"));
    const assembler = new TraceAssembler();
    assembler.add((await decodeInput(rec.toOtlpJson(), { name: "sdk.json" })).spans);
    const traces = [...assembler.drain()];
    const config = resolveConfig({}, builtinRules);
    const edgeOf = (shards: (typeof traces)[]) => {
      const merged = new Analyzer(config);
      for (const shard of shards) {
        const analyzer = new Analyzer(config);
        for (const trace of shard) analyzer.addTrace(trace);
        merged.merge(JSON.parse(JSON.stringify(analyzer.snapshot())));
      }
      return (merged.finish(new Date(0)).coverage as Report["coverage"])!.edges.find((e) => e.from === "orders");
    };
    const whole = edgeOf([traces]);
    // The last message was never consumed in the data; the one consumed without a link counts.
    expect(whole).toEqual({ from: "orders", to: "fulfillment", propagated: 10, total: 11, splitTraces: 0, undecided: 1 });
    expect(edgeOf([traces.filter((_, i) => i % 2 === 0), traces.filter((_, i) => i % 2 === 1)])).toEqual(whole);
  });

  it("still reports the message whose consumer did not link when the data holds the producers of the consumer's links", async () => {
    const report = await check(messaging(37, 10, (i) => (i === 4 ? "new-trace" : "link")));
    expect(edge(report, "orders", "fulfillment")).toEqual({ from: "orders", to: "fulfillment", propagated: 9, total: 10, splitTraces: 0 });
    expect(report.findings.filter((f) => f.ruleId === "propagation-gap").map((f) => [f.subject, f.occurrences])).toEqual([["orders→fulfillment", 1]]);
  });
});

describe("clock-skew", () => {
  it("does not blame clocks when the server goes on after its client gave up; a successful client still counts", async () => {
    const rec = new TraceRecorder({ seed: 33 });
    const web = rec.tracer("web");
    const reco = rec.tracer("recommendations");
    for (const [i, timedOut] of [[0, true], [1, false]] as const) {
      const t = i * 100_000;
      const root = web.startSpan("GET /", { kind: SpanKind.SERVER, startTime: rec.time(t) });
      const call = web.startSpan("GET", { kind: SpanKind.CLIENT, startTime: rec.time(t + 1), attributes: { "http.request.method": "GET", "server.address": "recommendations" } }, rec.within(root));
      // The timed-out call's server goes on for 8 s; the successful one's host clock is 69 ms ahead
      // (a longer server span alone is not skew: clock-skew's docs).
      const [start, end] = timedOut ? [t + 2, t + 8_000] : [t + 70, t + 5_070];
      reco.startSpan("GET /recommendations", { kind: SpanKind.SERVER, startTime: rec.time(start) }, rec.extract(rec.inject(call))).end(rec.time(end));
      if (timedOut) call.setStatus({ code: SpanStatusCode.ERROR, message: "timeout after 5000 ms" });
      call.end(rec.time(t + 5_001));
      root.end(rec.time(t + 5_002));
    }
    const report = await check(rec);
    const skew = report.findings.filter((f) => f.ruleId === "clock-skew");
    expect(skew.map((f) => [f.service, f.subject, f.category, f.occurrences])).toEqual([["recommendations", "web", "ends-after-client", 1]]);
  });
});
