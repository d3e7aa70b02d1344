// The Collector's awss3exporter layout on a real S3-compatible server: time partitions by upload
// time, otlp_json (.json) and otlp_proto (.binpb), gzip'd or not, and a `.gz` object whose body is
// already inflated. Data made with the real OpenTelemetry SDK.
import { SpanKind } from "@opentelemetry/api";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { builtinRules } from "../rules/index";
import { resolveConfig } from "../src/engine/config";
import { auditOtlpArchive, type ObjectSourceSection } from "../src/pipeline/object-audit";
import { formatPartition, planPartitions } from "../src/sources/otlp-archive/partitions";
import { startS3rver, type RunningS3 } from "./support/s3rver";

const EPOCH = Date.UTC(2026, 4, 3, 14, 5, 0);
const P = (minute: string) => `archive/traces/year=2026/month=05/day=03/hour=14/minute=${minute}`;

let s3: RunningS3;
let expected: { spans: number; splitTrace: string };

beforeAll(async () => {
  s3 = await startS3rver(["otel-archive"]);
  const store = s3.store("otel-archive");
  const rec = new TraceRecorder({ seed: 5, epochMs: EPOCH });
  const web = rec.tracer("web");
  const api = rec.tracer("api");
  // One trace per object, except the split one: its root is flushed a minute after its child.
  const root = web.startSpan("GET /cart", { kind: SpanKind.SERVER, startTime: rec.time(0) });
  const child = api.startSpan("GET /cart/{id}", { kind: SpanKind.SERVER, startTime: rec.time(2) }, rec.extract(rec.inject(root)));
  child.end(rec.time(8));
  const batch1 = rec.spans().slice();
  root.end(rec.time(10));
  const batch2 = rec.spans().slice(batch1.length);
  const single = (name: string, at: number) => {
    const before = rec.spans().length;
    web.startSpan(name, { kind: SpanKind.SERVER, startTime: rec.time(at) }).end(rec.time(at + 1));
    return rec.spans().slice(before);
  };
  const batch3 = single("GET /a", 60_000);
  const batch4 = single("GET /b", 120_000);
  expected = { spans: rec.spans().length, splitTrace: root.spanContext().traceId };

  await store.put(`${P("05")}/traces_482913337.json`, rec.toOtlpJson(batch1), { contentType: "application/json" });
  await store.put(`${P("06")}/traces_100000001.binpb`, rec.toOtlpProtobuf(batch2), { contentType: "application/x-protobuf" });
  await store.put(`${P("07")}/traces_100000002.json.gz`, gzipSync(rec.toOtlpJson(batch3)), { contentType: "application/json", contentEncoding: "gzip" });
  // Named .gz but stored inflated: what a client that honoured Content-Encoding would hand over.
  await store.put(`${P("08")}/traces_100000003.json.gz`, rec.toOtlpJson(batch4), { contentType: "application/json" });
  await store.put(`${P("08")}/logs_100000004.json`, new TextEncoder().encode("{}"));
  await store.put(`${P("09")}/traces_100000005.json`, new TextEncoder().encode("{not json"));
  // Outside the window and its margin: never listed.
  await store.put(`archive/traces/year=2026/month=05/day=03/hour=09/minute=00/traces_1.json`, rec.toOtlpJson(batch3));
});
afterAll(async () => {
  await s3?.stop();
});

describe("OTLP archive (awss3exporter layout)", () => {
  it("reads .json, .binpb and .json.gz (gzip'd or already inflated) from the window's partitions and combines traces across objects", async () => {
    const config = resolveConfig({}, builtinRules, "defaults");
    const report = await auditOtlpArchive(s3.store("otel-archive"), config, {
      location: "s3://otel-archive/archive/traces",
      prefix: "archive/traces",
      window: { start: new Date(EPOCH - 30 * 60_000), end: new Date(EPOCH + 30 * 60_000) },
      timeZone: "UTC",
    });
    const source = (report as unknown as { source: ObjectSourceSection }).source;
    expect(report.summary.traces).toBe(3);
    expect(report.summary.spans).toBe(expected.spans);
    // The split trace is whole: no rootless/orphan finding for it.
    expect(report.findings.filter((f) => ["orphan-span", "missing-root"].includes(f.ruleId))).toEqual([]);
    expect(source.kind).toBe("otlp-archive");
    expect(source.skipped).toEqual({ nonTraceObjects: 1, tracesOutsideWindow: 0 });
    expect(source.objects.map((o) => [o.key.split("/").slice(-2).join("/"), o.status, o.spans ?? null])).toEqual([
      ["minute=05/traces_482913337.json", "read", 1],
      ["minute=06/traces_100000001.binpb", "read", 1],
      ["minute=07/traces_100000002.json.gz", "read", 1],
      ["minute=08/traces_100000003.json.gz", "read", 1],
      ["minute=09/traces_100000005.json", "failed", null],
    ]);
    expect(source.objects[3]!.message).toBe("named .gz but the body arrived inflated");
    expect(source.failures).toHaveLength(1);
    expect(source.failures[0]!.key).toBe(`${P("09")}/traces_100000005.json`);
    expect(report.summary.inputErrors.map((e) => e.file)).toEqual([`${P("09")}/traces_100000005.json`]);
    expect(source.objectsRead).toBe(4);
    expect(source.objectsFailed).toBe(1);
    expect(source.bytesRead).toBe(source.objects.reduce((n, o) => n + o.bytes, 0));
  });
});

describe("hourly partitions", () => {
  it("keep a trace whole whose two uploads straddle the hour (an hourly object may have been uploaded up to its hour's end)", async () => {
    const store = s3.store("otel-archive");
    const rec = new TraceRecorder({ seed: 7, epochMs: Date.UTC(2026, 4, 3, 10, 59, 50) });
    const root = rec.tracer("web").startSpan("GET /cart", { kind: SpanKind.SERVER, startTime: rec.time(0) });
    rec.tracer("api").startSpan("GET /cart/{id}", { kind: SpanKind.SERVER, startTime: rec.time(1) }, rec.extract(rec.inject(root))).end(rec.time(5));
    const child = rec.spans().slice();
    root.end(rec.time(30_000)); // flushed 25 s later, after 11:00
    const parent = rec.spans().slice(child.length);
    await store.put("hourly/dt=2026-05-03/hour=10/traces_1.json", rec.toOtlpJson(child), { contentType: "application/json" });
    await store.put("hourly/dt=2026-05-03/hour=11/traces_2.json", rec.toOtlpJson(parent), { contentType: "application/json" });
    const report = await auditOtlpArchive(store, resolveConfig({}, builtinRules, "defaults"), {
      location: "s3://otel-archive/hourly",
      prefix: "hourly",
      window: { start: new Date(Date.UTC(2026, 4, 3, 10, 0)), end: new Date(Date.UTC(2026, 4, 3, 12, 0)) },
      timeZone: "UTC",
      partitionFormat: "dt=%Y-%m-%d/hour=%H",
    });
    expect(report.summary).toMatchObject({ traces: 1, spans: 2 });
    expect(report.findings.filter((f) => ["orphan-span", "missing-root"].includes(f.ruleId))).toEqual([]);
  });

  it("accept %% (a literal percent sign) in the format, and only the supported tokens", async () => {
    const { partitionFormatProblem } = await import("../src/sources/otlp-archive/partitions");
    expect(partitionFormatProblem("100%%/%Y%m%d%H%M")).toBeUndefined();
    expect(partitionFormatProblem("%Y/%%")).toBeUndefined();
    expect(partitionFormatProblem("%Y/%j")).toBe('partition format "%Y/%j": %j is not supported (only %Y %m %d %H %M and %%)');
    expect(partitionFormatProblem("%Y/%")).toBe('partition format "%Y/%": a lone % is not supported (only %Y %m %d %H %M and %%)');
    expect(formatPartition("100%%/%H", new Date(Date.UTC(2026, 4, 3, 9)), "UTC")).toBe("100%/09");
  });
});

describe("partitions", () => {
  it("formats upload-time partitions in the configured time zone", () => {
    const at = new Date(Date.UTC(2026, 4, 3, 23, 50));
    expect(formatPartition("year=%Y/month=%m/day=%d/hour=%H/minute=%M", at, "UTC")).toBe("year=2026/month=05/day=03/hour=23/minute=50");
    expect(formatPartition("year=%Y/month=%m/day=%d/hour=%H/minute=%M", at, "Asia/Kolkata")).toBe("year=2026/month=05/day=04/hour=05/minute=20");
  });

  it("lists one prefix per hour and keeps minute partitions inside the window", () => {
    const plan = planPartitions(new Date(Date.UTC(2026, 4, 3, 13, 58)), new Date(Date.UTC(2026, 4, 3, 14, 2)), { timeZone: "UTC" });
    expect(plan.listPrefixes).toEqual(["year=2026/month=05/day=03/hour=13/", "year=2026/month=05/day=03/hour=14/"]);
    expect(plan.partitions.size).toBe(5);
  });
});
