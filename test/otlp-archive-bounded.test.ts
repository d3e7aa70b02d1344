// Bounded combining of an awss3exporter archive: an hour of uploads generated with the real
// OpenTelemetry SDK (each span uploaded in the minute partition after it ended, in two batches per
// minute, .json and .binpb), on s3rver. The assembler, handing out the traces no later upload can
// extend, must hold only a few minutes of spans while producing exactly the findings of combining
// the whole window in memory.
import { SpanKind } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { builtinRules } from "../rules/index";
import { resolveConfig } from "../src/engine/config";
import { auditOtlpArchive, type ArchiveAuditOptions, type ObjectSourceSection } from "../src/pipeline/object-audit";
import { formatPartition } from "../src/sources/otlp-archive/partitions";
import type { S3ObjectStore } from "../src/storage/s3";
import { startS3rver, type RunningS3 } from "./support/s3rver";

const EPOCH = Date.UTC(2026, 4, 3, 14, 0, 0);
const MINUTE = 60_000;
const FORMAT = "year=%Y/month=%m/day=%d/hour=%H/minute=%M";
const WINDOW = { start: new Date(EPOCH), end: new Date(EPOCH + 60 * MINUTE) };
const TRACES = 240;
const ORPHAN_EVERY = 37;

const endMs = (s: ReadableSpan) => s.endTime[0] * 1000 + s.endTime[1] / 1e6;

/** Uploads `spans` as the exporter would: partition = minute of (end + 5 s), two batches per minute. */
async function upload(store: S3ObjectStore, rec: TraceRecorder, prefix: string, spans: readonly ReadableSpan[]): Promise<Map<number, number>> {
  const batches = new Map<string, { at: number; spans: ReadableSpan[] }>();
  spans.forEach((s, i) => {
    const at = Math.floor((endMs(s) + 5_000) / MINUTE) * MINUTE;
    const key = `${at}:${i % 2}`;
    batches.set(key, { at, spans: [...(batches.get(key)?.spans ?? []), s] });
  });
  const perMinute = new Map<number, number>();
  let n = 0;
  for (const { at, spans: batch } of batches.values()) {
    const dir = `${prefix}/${formatPartition(FORMAT, new Date(at), "UTC")}`;
    if (n++ % 2 === 0) await store.put(`${dir}/traces_${n}.json`, rec.toOtlpJson(batch), { contentType: "application/json" });
    else await store.put(`${dir}/traces_${n}.binpb`, rec.toOtlpProtobuf(batch), { contentType: "application/x-protobuf" });
    perMinute.set(at, (perMinute.get(at) ?? 0) + batch.length);
  }
  return perMinute;
}

let s3: RunningS3;
let store: S3ObjectStore;
let perMinute: Map<number, number>;
let totalSpans = 0;
const config = () => resolveConfig({}, builtinRules, "defaults");

beforeAll(async () => {
  s3 = await startS3rver(["archive"]);
  store = s3.store("archive");
  const rec = new TraceRecorder({ seed: 31, epochMs: EPOCH });
  const web = rec.tracer("web");
  const api = rec.tracer("api");
  const db = rec.tracer("db");
  for (let i = 0; i < TRACES; i++) {
    const t = i * 15_000; // one trace every 15 s for an hour
    const took = 2_000 + ((i * 7_919) % 70_000); // up to 72 s: many traces straddle a partition
    const root = web.startSpan(`GET /items/{id}`, { kind: SpanKind.SERVER, startTime: rec.time(t) });
    const call = web.startSpan("GET api", { kind: SpanKind.CLIENT, startTime: rec.time(t + 1) }, rec.within(root));
    const server = api.startSpan("GET /items/{id}", { kind: SpanKind.SERVER, startTime: rec.time(t + 2) }, rec.extract(rec.inject(call)));
    db.startSpan("SELECT items", { kind: SpanKind.CLIENT, startTime: rec.time(t + 3) }, rec.extract(rec.inject(server))).end(rec.time(t + 10));
    server.end(rec.time(t + took - 2));
    if (i % ORPHAN_EVERY !== 0) call.end(rec.time(t + took - 1)); // else never exported: api's span is an orphan
    root.end(rec.time(t + took));
  }
  totalSpans = rec.spans().length;
  perMinute = await upload(store, rec, "main", rec.spans());

  // A trace whose uploads are 35 minutes apart: its child ends early, its root much later.
  const long = new TraceRecorder({ seed: 32, epochMs: EPOCH });
  const w = long.tracer("web");
  const root = w.startSpan("POST /export", { kind: SpanKind.SERVER, startTime: long.time(60_000) });
  w.startSpan("prepare", { kind: SpanKind.INTERNAL, startTime: long.time(61_000) }, long.within(root)).end(long.time(62_000));
  root.end(long.time(36 * MINUTE));
  await upload(store, long, "long", long.spans());
});
afterAll(async () => {
  await s3?.stop();
});

async function audit(prefix: string, latenessMs: number) {
  let peak = 0;
  const options: ArchiveAuditOptions = { location: `s3://archive/${prefix}`, prefix, window: WINDOW, timeZone: "UTC", latenessMs, onPending: (p) => (peak = Math.max(peak, p.spans)) };
  const report = await auditOtlpArchive(store, config(), options);
  return { report, peak, source: (report as unknown as { source: ObjectSourceSection }).source };
}

describe("OTLP archive: bounded combining", () => {
  it("holds a few minutes of spans instead of the window, with exactly the findings of the unbounded run", async () => {
    const unbounded = await audit("main", Number.POSITIVE_INFINITY);
    const bounded = await audit("main", 2 * MINUTE);
    expect(unbounded.report.summary.traces).toBe(TRACES);
    expect(unbounded.report.summary.spans).toBe(totalSpans);
    expect(unbounded.peak).toBe(totalSpans);
    expect(unbounded.source.objects.length).toBeGreaterThan(100);

    // Same traces, same findings (and examples, which depend on the order traces are analysed).
    expect(bounded.report.findings).toEqual(unbounded.report.findings);
    expect(bounded.report.summary).toEqual(unbounded.report.summary);
    expect(bounded.source).toEqual(unbounded.source);
    const orphans = bounded.report.findings.filter((f) => f.ruleId === "orphan-span");
    expect(orphans.map((f) => [f.service, f.occurrences])).toEqual([["api", Math.ceil(TRACES / ORPHAN_EVERY)]]);

    // The bound: at most the spans uploaded in 2 × lateness + 2 partitions (head-of-line included).
    const minutes = [...perMinute.keys()].sort((a, b) => a - b);
    const bound = Math.max(...minutes.map((m) => minutes.filter((x) => x <= m && x > m - 6 * MINUTE).reduce((n, x) => n + perMinute.get(x)!, 0)));
    expect(bounded.peak).toBeLessThanOrEqual(bound);
    expect(bounded.peak).toBeLessThan(totalSpans / 8);
  });

  it("splits a trace whose uploads are further apart than the lateness margin (the documented limit)", async () => {
    const whole = await audit("long", 40 * MINUTE);
    expect(whole.report.summary.traces).toBe(1);
    expect(whole.report.findings.filter((f) => ["orphan-span", "missing-root"].includes(f.ruleId))).toEqual([]);
    const split = await audit("long", 2 * MINUTE);
    expect(split.report.summary.traces).toBe(2); // the child alone, then the root alone
    // The early half has no root: a false "missing-root" the whole trace does not have.
    expect(split.report.findings.filter((f) => ["orphan-span", "missing-root"].includes(f.ruleId)).map((f) => [f.ruleId, f.occurrences, f.service])).toEqual([["missing-root", 1, "web"]]);
  });
});
