// Structure rules on traces from the real OpenTelemetry SDK (defects made real: a parent that is
// never ended is never exported) and on Grafana Tempo's own test data.
import { SpanKind as ApiKind } from "@opentelemetry/api";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { checkInputs } from "../src/pipeline/check";
import { resolveConfig } from "../src/engine/config";
import { builtinRules } from "../rules/index";
import { findingsOf } from "./support/build-trace";

const STRUCTURE_RULES = [
  "invalid-span-context",
  "duplicate-span-id",
  "parent-cycle",
  "missing-root",
  "orphan-span",
  "multiple-roots",
  "invalid-timestamps",
  "clock-skew",
  "partial-trace",
];
const TEMPO_SIZE_LIMIT = "Trace exceeds maximum size of 5000000 bytes, a partial trace is returned";

function upstream(path: string): Uint8Array {
  return readFileSync(new URL(`../../shared/upstream-data/tempo/tempo-api-json/${path}`, import.meta.url));
}

/** gateway SERVER → CLIENT → orders SERVER → INTERNAL, plus a queue hop to a CONSUMER. */
function healthyTrace() {
  const rec = new TraceRecorder({ seed: 3 });
  const gateway = rec.tracer("gateway");
  const orders = rec.tracer("orders");
  const worker = rec.tracer("worker");
  const root = gateway.startSpan("GET /orders/{id}", { kind: ApiKind.SERVER, startTime: rec.time(0) });
  const client = gateway.startSpan("GET", { kind: ApiKind.CLIENT, startTime: rec.time(1) }, rec.within(root));
  const server = orders.startSpan("GET /orders/{id}", { kind: ApiKind.SERVER, startTime: rec.time(2) }, rec.extract(rec.inject(client)));
  const load = orders.startSpan("load order", { kind: ApiKind.INTERNAL, startTime: rec.time(3) }, rec.within(server));
  const publish = orders.startSpan("orders publish", { kind: ApiKind.PRODUCER, startTime: rec.time(4) }, rec.within(server));
  // The consumer runs long after the producer ended: normal for queues, never clock skew.
  const consume = worker.startSpan("orders process", { kind: ApiKind.CONSUMER, startTime: rec.time(900) }, rec.extract(rec.inject(publish)));
  load.end(rec.time(6));
  publish.end(rec.time(7));
  server.end(rec.time(8));
  client.end(rec.time(9));
  root.end(rec.time(10));
  consume.end(rec.time(950));
  return rec;
}

describe("a healthy SDK trace", () => {
  it("gets no finding from any structure rule", async () => {
    const rec = healthyTrace();
    expect(rec.spans()).toHaveLength(6);
    expect(await findingsOf(rec.toOtlpJson(), STRUCTURE_RULES)).toEqual([]);
    expect(await findingsOf(rec.toOtlpProtobuf(), STRUCTURE_RULES)).toEqual([]);
  });
});

describe("exact copies (the same export sent or read twice)", () => {
  it("are analysed once and listed as duplicate-span-id exact-copy (info), not as repeated IDs or extra roots", async () => {
    const rec = healthyTrace();
    const traceId = rec.spans()[0]!.spanContext().traceId;
    // A Collector retry: the same batch once as OTLP/JSON and once as protobuf.
    const findings = await findingsOf([{ bytes: rec.toOtlpJson() }, { bytes: rec.toOtlpProtobuf() }], STRUCTURE_RULES);
    const bySpan = new Map(rec.spans().map((s) => [s.spanContext().spanId, s]));
    expect(findings.map((f) => [f.ruleId, f.severity, f.service, f.category, f.occurrences, f.traceCount])).toEqual([
      ["duplicate-span-id", "info", "gateway", "exact-copy", 2, 1],
      ["duplicate-span-id", "info", "orders", "exact-copy", 3, 1],
      ["duplicate-span-id", "info", "worker", "exact-copy", 1, 1],
    ]);
    for (const f of findings) for (const e of f.examples) expect(bySpan.has(e.spanId ?? "") && e.traceId === traceId).toBe(true);

    // The analysed trace holds each span once.
    const config = resolveConfig({}, builtinRules);
    const report = await checkInputs(
      [
        { name: "a.json", read: async () => rec.toOtlpJson() },
        { name: "a.pb", read: async () => rec.toOtlpProtobuf() },
      ],
      config,
    );
    expect(report.summary).toMatchObject({ traces: 1, spans: 6 });
    expect(report.findings.filter((f) => f.severity !== "info")).toEqual([]);
  });

  it("a copy that differs in anything it records is still a repeated span ID", async () => {
    const rec = healthyTrace();
    const json = JSON.parse(new TextDecoder().decode(rec.toOtlpJson())) as {
      resourceSpans: { scopeSpans: { spans: { spanId: string; name: string; endTimeUnixNano: string }[] }[] }[];
    };
    const altered = json.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    altered.endTimeUnixNano = String(BigInt(altered.endTimeUnixNano) + 1n); // re-sent after an update
    const findings = await findingsOf([{ bytes: rec.toOtlpProtobuf() }, { bytes: new TextEncoder().encode(JSON.stringify(json)) }], ["duplicate-span-id"]);
    const exact = findings.filter((f) => f.category === "exact-copy").reduce((n, f) => n + f.occurrences, 0);
    expect(exact).toBe(5);
    const repeated = findings.filter((f) => f.category !== "exact-copy");
    expect(repeated).toHaveLength(1);
    expect(repeated[0]).toMatchObject({ severity: "error", occurrences: 1, examples: [{ spanId: altered.spanId }] });
  });
});

/** The gateway's CLIENT span is never ended, so the SDK never exports it: orders' SERVER span is an orphan. */
function lostCallerSpan() {
  const rec = new TraceRecorder({ seed: 11 });
  const gateway = rec.tracer("gateway");
  const orders = rec.tracer("orders");
  const root = gateway.startSpan("GET /orders/{id}", { kind: ApiKind.SERVER, startTime: rec.time(0) });
  const lostClient = gateway.startSpan("GET", { kind: ApiKind.CLIENT, startTime: rec.time(1) }, rec.within(root));
  const server = orders.startSpan("GET /orders/{id}", { kind: ApiKind.SERVER, startTime: rec.time(2) }, rec.extract(rec.inject(lostClient)));
  const query = orders.startSpan("SELECT orders", { kind: ApiKind.CLIENT, startTime: rec.time(3) }, rec.within(server));
  query.end(rec.time(4));
  server.end(rec.time(8));
  root.end(rec.time(10));
  return { rec, server: server.spanContext().spanId, lostClient: lostClient.spanContext().spanId };
}

/** orders' INTERNAL span is never ended: its CLIENT child (same service) becomes an orphan. */
function lostInternalSpan() {
  const rec = new TraceRecorder({ seed: 12 });
  const orders = rec.tracer("orders");
  const root = orders.startSpan("GET /orders/{id}", { kind: ApiKind.SERVER, startTime: rec.time(0) });
  const lostInternal = orders.startSpan("load order", { kind: ApiKind.INTERNAL, startTime: rec.time(1) }, rec.within(root));
  const query = orders.startSpan("SELECT orders", { kind: ApiKind.CLIENT, startTime: rec.time(2) }, rec.within(lostInternal));
  query.end(rec.time(3));
  root.end(rec.time(10));
  return { rec, query: query.spanContext().spanId };
}

/** An edge proxy propagates traceparent but never exports its span: the trace has no root. */
function unexportedEdge() {
  const rec = new TraceRecorder({ seed: 13 });
  const edge = rec.tracer("edge-proxy");
  const frontend = rec.tracer("frontend");
  const cart = rec.tracer("cart");
  const edgeSpan = edge.startSpan("ingress", { kind: ApiKind.SERVER, startTime: rec.time(0) });
  const server = frontend.startSpan("GET /cart", { kind: ApiKind.SERVER, startTime: rec.time(1) }, rec.extract(rec.inject(edgeSpan)));
  const client = frontend.startSpan("GET", { kind: ApiKind.CLIENT, startTime: rec.time(2) }, rec.within(server));
  const cartServer = cart.startSpan("GET /cart/{id}", { kind: ApiKind.SERVER, startTime: rec.time(3) }, rec.extract(rec.inject(client)));
  cartServer.end(rec.time(5));
  client.end(rec.time(6));
  server.end(rec.time(7));
  return { rec, edge: edgeSpan.spanContext().spanId, frontend: server.spanContext().spanId };
}

describe("orphan-span", () => {
  it("blames the lost CLIENT span of the caller for an orphan SERVER span, attributed to the orphan's service", async () => {
    const { rec, server } = lostCallerSpan();
    expect(rec.spans()).toHaveLength(3);
    const traceId = rec.spans()[0]!.spanContext().traceId;
    const findings = await findingsOf(rec.toOtlpJson(), STRUCTURE_RULES);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      ruleId: "orphan-span",
      severity: "error",
      service: "orders",
      subject: null,
      category: "caller-span-missing",
      occurrences: 1,
      traceCount: 1,
      examples: [{ traceId, spanId: server }],
    });
    // The orphan's own child (the query) has its parent and is not counted.
    expect(findings[0]!.message).toContain("the caller's CLIENT span");
    expect(findings[0]!.message).toContain("exporter or sampler");
  });

  it("blames the same service when an INTERNAL parent was lost", async () => {
    const { rec, query } = lostInternalSpan();
    const findings = await findingsOf(rec.toOtlpProtobuf(), ["orphan-span"]);
    expect(findings.map((f) => [f.ruleId, f.service, f.category, f.occurrences, f.examples[0]!.spanId])).toEqual([
      ["orphan-span", "orders", "same-service-span-lost", 1, query],
    ]);
    expect(findings[0]!.message).toContain("created in this same process");
  });

  it("blames the other process when an INTERNAL or CLIENT orphan's parent is flagged remote (QA, session 6)", async () => {
    // The api's PRODUCER span is never ended (never exported); the worker extracts the job's
    // context into an INTERNAL span, and a gateway extracts a request's context into a CLIENT span:
    // the SDK marks both parents remote (OTLP flags 0x300).
    const rec = new TraceRecorder({ seed: 13 });
    const api = rec.tracer("api");
    const root = api.startSpan("POST /jobs", { kind: ApiKind.SERVER, startTime: rec.time(0) });
    const lost = api.startSpan("enqueue", { kind: ApiKind.PRODUCER, startTime: rec.time(1) }, rec.within(root));
    const job = rec.tracer("worker").startSpan("run job", { kind: ApiKind.INTERNAL, startTime: rec.time(5) }, rec.extract(rec.inject(lost)));
    job.end(rec.time(9));
    const forward = rec.tracer("gateway").startSpan("forward", { kind: ApiKind.CLIENT, startTime: rec.time(2) }, rec.extract(rec.inject(lost)));
    forward.end(rec.time(3));
    root.end(rec.time(10));
    const findings = await findingsOf(rec.toOtlpProtobuf(), ["orphan-span"]);
    expect(findings.map((f) => [f.service, f.category, f.occurrences]).sort()).toEqual([
      ["gateway", "remote-parent-missing", 1],
      ["worker", "remote-parent-missing", 1],
    ]);
    expect(findings[0]!.message).toContain("flagged that parent as remote");
  });

  it("counts orphans across traces in one finding per service and cause", async () => {
    const a = lostCallerSpan().rec;
    const b = new TraceRecorder({ seed: 99 });
    // Same scenario with other IDs: a second trace with the same defect.
    const gateway = b.tracer("gateway");
    const orders = b.tracer("orders");
    const root = gateway.startSpan("GET /", { kind: ApiKind.SERVER, startTime: b.time(0) });
    const lost = gateway.startSpan("GET", { kind: ApiKind.CLIENT, startTime: b.time(1) }, b.within(root));
    orders.startSpan("GET /x", { kind: ApiKind.SERVER, startTime: b.time(2) }, b.extract(b.inject(lost))).end(b.time(3));
    root.end(b.time(4));
    const findings = await findingsOf([{ bytes: a.toOtlpJson() }, { bytes: b.toOtlpJson() }], ["orphan-span"]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ service: "orders", category: "caller-span-missing", occurrences: 2, traceCount: 2 });
    expect(findings[0]!.examples).toHaveLength(2);
  });

  it("finds exactly the one orphan in Tempo's trace-with-expired-edges.json", async () => {
    const findings = await findingsOf(upstream("servicegraphs/trace-with-expired-edges.json"), STRUCTURE_RULES);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      ruleId: "orphan-span",
      service: "mythical-requester",
      category: "caller-span-missing",
      occurrences: 1,
      traceCount: 1,
      // Parent `5gZXnld4dYc=` (e606579e57787587) is the absent span.
      examples: [{ traceId: "4290b5877a9930de79bb428365398ecc", spanId: "e206579e57787587" }],
    });
  });
});

describe("missing-root", () => {
  it("reports a trace whose top span points to an unexported edge span, and no orphans", async () => {
    const { rec, edge, frontend } = unexportedEdge();
    const traceId = rec.spans()[0]!.spanContext().traceId;
    const findings = await findingsOf(rec.toOtlpJson(), STRUCTURE_RULES);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      ruleId: "missing-root",
      severity: "error",
      service: "frontend",
      category: null,
      occurrences: 1,
      traceCount: 1,
      examples: [{ traceId, spanId: frontend }],
    });
    expect(findings[0]!.message).toContain(`absent parent span ID(s) ${edge}.`);
    expect(findings[0]!.message).toContain("propagates traceparent but does not export");
  });

  it("reports Tempo's hand-written v1 body, whose only span points to an absent parent", async () => {
    const findings = await findingsOf(upstream("pkg-tempopb-trace.v1-batches.handwritten.json"), STRUCTURE_RULES);
    expect(findings.map((f) => [f.ruleId, f.service, f.occurrences])).toEqual([["missing-root", "my.service", 1]]);
    expect(findings[0]!.message).toContain("eee19b7ec3c1b173");
  });
});

describe("multiple-roots", () => {
  it("gives one finding for Tempo vulture's trace with two roots", async () => {
    const findings = await findingsOf(upstream("vulture-trace.gogo-jsonpb.json"), STRUCTURE_RULES);
    expect(findings).toEqual([
      {
        ruleId: "multiple-roots",
        severity: "warning",
        service: "tempo-vulture",
        subject: "tempo-vulture",
        category: null,
        message:
          "Trace has 2 root spans: this service started a root span after the trace's first root (service tempo-vulture) instead of continuing it.",
        occurrences: 1,
        traceCount: 1,
        examples: [{ traceId: "3149195ffb0bec05347b48efe8ecc1b0", spanId: "083a27a20c7b6de3", relatedSpanId: "4b23de25d1fb6641" }],
      },
    ]);
  });
});

describe("partial traces", () => {
  it("make no missing-span claims, only a partial-trace note carrying the reason", async () => {
    const orphan = lostCallerSpan();
    const rootless = unexportedEdge();
    const inputs = [
      { bytes: orphan.rec.toOtlpJson(), partialReason: TEMPO_SIZE_LIMIT },
      { bytes: rootless.rec.toOtlpJson(), partialReason: "Trace filtered, only a subset of spans matching the filter is returned" },
    ];
    const findings = await findingsOf(inputs, STRUCTURE_RULES);
    expect(findings.map((f) => [f.ruleId, f.severity, f.service, f.category, f.occurrences])).toEqual([
      ["partial-trace", "info", "frontend", "filtered", 1],
      ["partial-trace", "info", "gateway", "size-limit", 1],
    ]);
    expect(findings[1]!.message).toBe(`Trace was returned only in part (${TEMPO_SIZE_LIMIT}); missing-span checks were skipped for it.`);
    // Without the partial mark the same bytes do give the claims.
    const complete = await findingsOf(inputs.map((i) => ({ bytes: i.bytes })), STRUCTURE_RULES);
    expect(complete.map((f) => f.ruleId).sort()).toEqual(["missing-root", "orphan-span"]);
  });

  it("reads the PARTIAL status of a Tempo v2 answer end to end", async () => {
    const { rec } = lostCallerSpan();
    const otlp = JSON.parse(new TextDecoder().decode(rec.toOtlpJson()));
    const v2 = JSON.stringify({ trace: { resourceSpans: otlp.resourceSpans }, status: "PARTIAL", message: TEMPO_SIZE_LIMIT });
    const config = resolveConfig({}, builtinRules.filter((r) => STRUCTURE_RULES.includes(r.meta.id)));
    const report = await checkInputs([{ name: "v2.json", read: async () => new TextEncoder().encode(v2) }], config);
    expect(report.summary.partialTraces).toBe(1);
    expect(report.findings.map((f) => [f.ruleId, f.service, f.category])).toEqual([["partial-trace", "gateway", "size-limit"]]);
  });
});

/** A gateway CLIENT calls orders; the orders host's clock is off by `offsetMs`. */
function skewedCall(offsetMs: number, serverDurationMs = 5) {
  const rec = new TraceRecorder({ seed: 21 });
  const gateway = rec.tracer("gateway");
  const orders = rec.tracer("orders");
  const root = gateway.startSpan("GET /", { kind: ApiKind.SERVER, startTime: rec.time(0) });
  const client = gateway.startSpan("GET", { kind: ApiKind.CLIENT, startTime: rec.time(100) }, rec.within(root));
  const server = orders.startSpan("GET /x", { kind: ApiKind.SERVER, startTime: rec.time(101 + offsetMs) }, rec.extract(rec.inject(client)));
  server.end(rec.time(101 + offsetMs + serverDurationMs));
  client.end(rec.time(110));
  root.end(rec.time(200));
  return { rec, server: server.spanContext().spanId, client: client.spanContext().spanId };
}

describe("clock-skew", () => {
  it("reports a SERVER span starting before its CLIENT parent by more than 50 ms", async () => {
    const { rec, server, client } = skewedCall(-61);
    const findings = await findingsOf(rec.toOtlpJson(), STRUCTURE_RULES);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      ruleId: "clock-skew",
      severity: "warning",
      service: "orders",
      subject: "gateway",
      category: "starts-before-client",
      occurrences: 1,
      examples: [{ spanId: server, relatedSpanId: client }],
    });
    expect(findings[0]!.message).toBe(
      "SERVER span starts 60 ms before its CLIENT parent starts in service gateway (tolerance 50 ms): the two hosts' clocks disagree.",
    );
  });

  it("reports a SERVER span ending after its CLIENT parent", async () => {
    const { rec } = skewedCall(+70);
    const [finding, ...rest] = await findingsOf(rec.toOtlpJson(), ["clock-skew"]);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ service: "orders", subject: "gateway", category: "ends-after-client" });
    expect(finding!.message).toContain("ends 66 ms after its CLIENT parent ends");
  });

  it("does not blame clocks for a SERVER span longer than its CLIENT parent (a streamed response; QA, session 6)", async () => {
    // The server starts 1 ms after the client and streams for 5 s; the client span ends at the headers.
    const { rec } = skewedCall(0, 5_000);
    expect(await findingsOf(rec.toOtlpJson(), STRUCTURE_RULES)).toEqual([]);
    // Shifted by an offset as well, it still is not an offset's doing; one that starts too early is.
    expect(await findingsOf(skewedCall(+70, 5_000).rec.toOtlpJson(), ["clock-skew"])).toEqual([]);
    expect((await findingsOf(skewedCall(-61, 5_000).rec.toOtlpJson(), ["clock-skew"])).map((f) => f.category)).toEqual(["starts-before-client"]);
  });

  it("tolerates 30 ms by default and honours the toleranceMs option", async () => {
    const { rec } = skewedCall(-31);
    expect(await findingsOf(rec.toOtlpJson(), ["clock-skew"])).toEqual([]);
    const strict = await findingsOf(rec.toOtlpJson(), ["clock-skew"], { "clock-skew": ["warning", { toleranceMs: 10 }] });
    expect(strict.map((f) => [f.category, f.occurrences])).toEqual([["starts-before-client", 1]]);
    expect(strict[0]!.message).toContain("starts 30 ms before");
    expect(strict[0]!.message).toContain("(tolerance 10 ms)");
  });
});
