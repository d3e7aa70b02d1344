import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import errorStatusMismatch from "../rules/error-status-mismatch";
import missingServiceName from "../rules/missing-service-name";
import oversizedTrace from "../rules/oversized-trace";
import rootSpanIsClient from "../rules/root-span-is-client";
import spanLimitsExceeded from "../rules/span-limits-exceeded";
import { resolveConfig } from "../src/engine/config";
import type { Rule } from "../src/engine/rule";
import { checkInputs } from "../src/pipeline/check";
import type { Report } from "../src/report/schema";

async function run(rule: Rule, bytes: Uint8Array, options?: Record<string, unknown>): Promise<Report> {
  const settings = options ? { [rule.meta.id]: [rule.meta.severity, options] } : {};
  const config = resolveConfig({ rules: settings }, [rule]);
  return checkInputs([{ name: "sdk.json", read: async () => bytes }], config, { now: new Date(0) });
}

const rows = (report: Report) =>
  report.findings.map((f) => [f.ruleId, f.service, f.subject, f.category, f.occurrences, f.traceCount, f.examples.map((e) => e.evidence)]);

describe("missing-service-name", () => {
  it("attributes spans to the fallback name as seen, or unknown_service when absent", async () => {
    const rec = new TraceRecorder({ seed: 21 });
    const anonymous = rec.tracer("ignored", { omitServiceName: true, scopeName: "job-runner" });
    const fallback = rec.tracer("unknown_service:java", { scopeName: "io.opentelemetry.okhttp" });
    const named = rec.tracer("billing");
    for (let i = 0; i < 2; i++) {
      const a = anonymous.startSpan("nightly", { kind: SpanKind.INTERNAL, startTime: rec.time(i * 10) });
      anonymous.startSpan("step", { startTime: rec.time(i * 10 + 1) }, rec.within(a)).end(rec.time(i * 10 + 2));
      a.end(rec.time(i * 10 + 3));
    }
    fallback.startSpan("GET", { kind: SpanKind.CLIENT, startTime: rec.time(50) }).end(rec.time(51));
    named.startSpan("POST /pay", { kind: SpanKind.SERVER, startTime: rec.time(60) }).end(rec.time(61));
    const spans = rec.spans();
    expect(spans.filter((s) => s.resource.attributes["service.name"] === undefined)).toHaveLength(4);

    const report = await run(missingServiceName, rec.toOtlpJson(spans));
    expect(rows(report)).toEqual([
      ["missing-service-name", "unknown_service", "service.name", "missing", 4, 2, ["scope job-runner", "scope job-runner"]],
      ["missing-service-name", "unknown_service:java", "service.name", "unknown-service", 1, 1, ["scope io.opentelemetry.okhttp"]],
    ]);
    expect(report.findings[1]!.message).toBe("Spans carry the SDK fallback service name `unknown_service:java`; set OTEL_SERVICE_NAME in this process.");
  });
});

describe("error-status-mismatch", () => {
  it("flags SERVER ≥ 500 and CLIENT ≥ 400 without ERROR status, on current and older status keys", async () => {
    const rec = new TraceRecorder({ seed: 22 });
    const api = rec.tracer("api", { scopeName: "@opentelemetry/instrumentation-http" });
    const cases: [SpanKind, Record<string, number | string>, SpanStatusCode][] = [
      [SpanKind.SERVER, { "http.response.status_code": 503 }, SpanStatusCode.UNSET], // finding
      [SpanKind.SERVER, { "http.response.status_code": 500 }, SpanStatusCode.OK], // finding
      [SpanKind.SERVER, { "http.response.status_code": 502 }, SpanStatusCode.ERROR], // correct
      [SpanKind.SERVER, { "http.response.status_code": 404 }, SpanStatusCode.UNSET], // client's fault: fine
      [SpanKind.CLIENT, { "http.status_code": 404 }, SpanStatusCode.UNSET], // finding (older key)
      [SpanKind.CLIENT, { "http.status_code": "429" }, SpanStatusCode.UNSET], // finding (numeric string)
      [SpanKind.CLIENT, { "http.response.status_code": 200 }, SpanStatusCode.UNSET], // fine
      [SpanKind.INTERNAL, { "http.response.status_code": 500 }, SpanStatusCode.UNSET], // not an HTTP hop
    ];
    cases.forEach(([kind, attributes, code], i) => {
      const span = api.startSpan(`op${i}`, { kind, attributes, startTime: rec.time(i * 10) });
      if (code !== SpanStatusCode.UNSET) span.setStatus({ code });
      span.end(rec.time(i * 10 + 1));
    });
    const report = await run(errorStatusMismatch, rec.toOtlpJson());
    expect(rows(report)).toEqual([
      ["error-status-mismatch", "api", "http.response.status_code", "server-5xx", 2, 2, [
        // Examples are ordered by trace ID (not arrival), so reports do not depend on input order.
        "SERVER span, HTTP 500, status OK, scope @opentelemetry/instrumentation-http",
        "SERVER span, HTTP 503, status UNSET, scope @opentelemetry/instrumentation-http",
      ]],
      ["error-status-mismatch", "api", "http.status_code", "client-4xx", 2, 2, [
        "CLIENT span, HTTP 404, status UNSET, scope @opentelemetry/instrumentation-http",
        "CLIENT span, HTTP 429, status UNSET, scope @opentelemetry/instrumentation-http",
      ]],
    ]);
    expect(report.findings[0]!.severity).toBe("warning");
  });

  it("masks personal data in the scope name it quotes as evidence", async () => {
    const rec = new TraceRecorder({ seed: 24 });
    const api = rec.tracer("api", { scopeName: "tracer-of-judy@example.com" });
    api.startSpan("GET /x", { kind: SpanKind.SERVER, attributes: { "http.response.status_code": 500 }, startTime: rec.time(0) }).end(rec.time(1));
    const report = await run(errorStatusMismatch, rec.toOtlpJson());
    expect(rows(report)[0]![6]).toEqual(["SERVER span, HTTP 500, status UNSET, scope t***@e***.com"]);
    expect(JSON.stringify(report)).not.toContain("judy");
  });
});

describe("span-limits-exceeded", () => {
  it("counts spans whose SDK dropped attributes, events or links at the default limit of 128", async () => {
    const rec = new TraceRecorder({ seed: 23 });
    const tracer = rec.tracer("ingest");
    const attributes = Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`attr.${i}`, i]));
    const anchor = tracer.startSpan("anchor", { startTime: rec.time(0) });
    anchor.end(rec.time(1));
    const links = Array.from({ length: 131 }, () => ({ context: anchor.spanContext() }));
    const wide = tracer.startSpan("wide", { startTime: rec.time(2), attributes, links });
    for (let i = 0; i < 133; i++) wide.addEvent("item", rec.time(3));
    wide.end(rec.time(4));
    tracer.startSpan("narrow", { startTime: rec.time(5), attributes: { a: 1 } }).end(rec.time(6));
    const report = await run(spanLimitsExceeded, rec.toOtlpJson());
    expect(rows(report)).toEqual([
      ["span-limits-exceeded", "ingest", null, "attributes", 1, 1, ["2 attributes dropped"]],
      ["span-limits-exceeded", "ingest", null, "events", 1, 1, ["5 events dropped"]],
      ["span-limits-exceeded", "ingest", null, "links", 1, 1, ["3 links dropped"]],
    ]);
  });
});

describe("oversized-trace", () => {
  it("counts traces over maxSpans, attributed to the root's service or else the earliest span's", async () => {
    const rec = new TraceRecorder({ seed: 24 });
    const gateway = rec.tracer("gateway");
    const worker = rec.tracer("worker");
    // Trace 1: gateway root + 6 worker children (7 spans).
    const root = gateway.startSpan("POST /import", { kind: SpanKind.SERVER, startTime: rec.time(0) });
    for (let i = 0; i < 6; i++) worker.startSpan("row", { startTime: rec.time(1 + i) }, rec.extract(rec.inject(root))).end(rec.time(2 + i));
    root.end(rec.time(20));
    // Trace 2: no root in the data (parent came from an uninstrumented caller), 6 spans; earliest is worker's.
    const remote = rec.extract({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
    const first = worker.startSpan("consume", { kind: SpanKind.CONSUMER, startTime: rec.time(30) }, remote);
    for (let i = 0; i < 5; i++) gateway.startSpan("row", { startTime: rec.time(31 + i) }, rec.within(first)).end(rec.time(32 + i));
    first.end(rec.time(40));
    // Trace 3: small.
    gateway.startSpan("GET /health", { kind: SpanKind.SERVER, startTime: rec.time(50) }).end(rec.time(51));

    const report = await run(oversizedTrace, rec.toOtlpJson(), { maxSpans: 5 });
    expect(rows(report)).toEqual([
      ["oversized-trace", "gateway", null, null, 1, 1, ["7 spans"]],
      ["oversized-trace", "worker", null, null, 1, 1, ["6 spans"]],
    ]);
    expect(report.findings[0]!.examples[0]!.spanId).toBeNull();
    expect(report.findings[0]!.message).toBe("Traces exceed 5 spans.");
    expect((await run(oversizedTrace, rec.toOtlpJson())).findings).toEqual([]);
  });
});

describe("root-span-is-client", () => {
  it("flags CLIENT roots only, with a PII-masked span name as evidence", async () => {
    const rec = new TraceRecorder({ seed: 25 });
    const cron = rec.tracer("cron");
    const web = rec.tracer("web");
    cron.startSpan("GET https://crm.example.com/users/jane.doe@example.com", { kind: SpanKind.CLIENT, startTime: rec.time(0) }).end(rec.time(1));
    cron.startSpan("POST", { kind: SpanKind.CLIENT, startTime: rec.time(2) }).end(rec.time(3));
    const server = web.startSpan("GET /", { kind: SpanKind.SERVER, startTime: rec.time(10) });
    web.startSpan("GET", { kind: SpanKind.CLIENT, startTime: rec.time(11) }, rec.within(server)).end(rec.time(12));
    server.end(rec.time(13));
    // A polling consumer's receive spans (semconv 1.26: CLIENT) start traces by design (QA, session 6).
    const poller = rec.tracer("poller");
    poller.startSpan("receive orders", { kind: SpanKind.CLIENT, startTime: rec.time(20), attributes: { "messaging.operation.type": "receive", "messaging.system": "kafka" } }).end(rec.time(21));
    poller.startSpan("orders receive", { kind: SpanKind.CLIENT, startTime: rec.time(22), attributes: { "messaging.operation": "receive", "messaging.system": "rabbitmq" } }).end(rec.time(23));
    const report = await run(rootSpanIsClient, rec.toOtlpJson());
    expect(rows(report)).toEqual([
      ["root-span-is-client", "cron", null, null, 2, 2, ['root CLIENT span "GET https://crm.example.com/users/j***@e***.com"', 'root CLIENT span "POST"']],
    ]);
  });
});
