// Scheduled audits of a Collector awss3exporter archive, inside workerd: the TRACES R2 binding holds
// the demo estate (real SDK spans) uploaded per minute and per service, as OTLP/JSON (some gzip'd) and
// protobuf objects (global-setup.ts), so traces are spread over several objects. The inline run must
// find exactly what `tracelint check` finds on the same objects in Node, and the fanned-out run the
// same again: shuffle batches read each object once and write every hash-slot partition's spans to
// the run's shuffle files, then the partition batches analyse their own traces whole.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import type { Env } from "../../functions/platform";
import type { ObjectStorageSource, Report } from "../../src/report/schema";
import type { QueueMessage, RunPlan } from "../../src/runs/types";
import { bucket, deliver, latestRun, r2Json, recordingQueue, reportOf, runScheduled, testEnv } from "./support";

async function listKeys(prefix: string): Promise<string[]> {
  return (await bucket().list({ prefix })).objects.map((o) => o.key);
}

async function seedArchive(): Promise<string[]> {
  const traces = (env as unknown as Env).TRACES!;
  const objects = inject("archiveObjects");
  for (const [key, base64] of Object.entries(objects)) await traces.put(key, Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  return Object.keys(objects).sort();
}

function archiveAudit(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    cron: "*/30 * * * *",
    source: { kind: "otlp-archive", bucket: "s3://otel-archive/archive", binding: "TRACES", timeZone: "UTC", since: "1h", ingestionDelay: "5m" },
    ...extra,
  };
}

const fingerprints = (report: Report) =>
  report.findings.map((f) => `${f.ruleId} ${f.service} ${f.subject ?? "-"} ${f.category ?? "-"} ${f.occurrences} ${f.traceCount}`);

describe("scheduled audit of an OTLP archive through the TRACES binding", () => {
  it("runs inline: every object read once, traces combined across objects, the findings of tracelint check", async () => {
    const keys = await seedArchive();
    await runScheduled(testEnv([archiveAudit("archive-inline")], { AUDIT_QUEUE: undefined }), "*/30 * * * *");
    const record = await latestRun("archive-inline");
    expect(record).toMatchObject({ state: "done", mode: "inline", requested: keys.length });
    const report = await reportOf(record);
    // The demo estate: 42 traces, 208 spans, with its orphans, gaps and leaks.
    expect(report.summary).toMatchObject({ traces: 42, spans: 208, files: keys.length, inputErrors: [] });
    expect(fingerprints(report)).toEqual(inject("archiveFindings"));
    expect(report.findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining(["orphan-span", "propagation-gap", "pii-in-attributes"]));
    const source = report.source as ObjectStorageSource;
    expect(source).toMatchObject({ kind: "otlp-archive", location: "s3://otel-archive/archive", objectsRead: keys.length, objectsFailed: 0, failures: [] });
    expect(source.objects.map((o) => [o.key, o.status, o.requests])).toEqual(keys.map((key) => [key, "read", 1]));
  });

  it("fanned out: shuffle batches read each object once, partition batches analyse their traces whole, same findings", async () => {
    const keys = await seedArchive();
    const queue = recordingQueue();
    const e = testEnv([archiveAudit("archive-fan", { fanOut: { inlineMaxTraces: 0, batchSize: Math.ceil(keys.length / 3) } })], { AUDIT_QUEUE: queue as never });
    await runScheduled(e, "*/30 * * * *");
    // 85 objects, 29 per batch: three shuffle batches, then three hash-slot partitions.
    const shuffles = queue.sent.splice(0) as Extract<QueueMessage, { kind: "shuffle" }>[];
    expect(shuffles.map((m) => [m.kind, m.batchId])).toEqual([["shuffle", "s00001"], ["shuffle", "s00002"], ["shuffle", "s00003"]]);
    const runId = shuffles[0]!.runId;
    const plan = (await r2Json<RunPlan>(`runs/${runId}/plan.json`))!;
    expect(Object.values(plan.objects!.partitions)).toEqual([0, 1, 2].map((slot) => ({ after: null, upTo: null, slot, slots: 3 })));
    expect(plan.objects!.shuffle).toEqual({ s00001: { first: 0, count: 29 }, s00002: { first: 29, count: 29 }, s00003: { first: 58, count: 27 } });
    // Shuffle batches in any order; a re-delivery changes nothing. Only the last one enqueues the partitions.
    for (const m of [shuffles[2]!, shuffles[0]!]) expect((await deliver(e, [m])).explicitAcks).toHaveLength(1);
    expect(queue.sent).toEqual([]);
    await deliver(e, [shuffles[0]!]);
    await deliver(e, [shuffles[1]!]);
    const partitions = queue.sent.splice(0) as Extract<QueueMessage, { kind: "partition" }>[];
    expect(partitions.map((m) => [m.kind, m.batchId])).toEqual([["partition", "b00001"], ["partition", "b00002"], ["partition", "b00003"]]);
    const shuffled = await listKeys(`runs/${runId}/shuffle/`);
    expect(shuffled.length).toBeGreaterThan(3); // per partition, one file from each shuffle batch that had its spans
    for (const m of partitions) expect((await deliver(e, [m])).explicitAcks).toHaveLength(1);
    const record = await latestRun("archive-fan");
    expect(record).toMatchObject({ state: "done", mode: "fan-out", batches: { total: 3, done: 3 } });
    const report = await reportOf(record);
    expect(report.summary).toMatchObject({ traces: 42, spans: 208, files: keys.length, inputErrors: [] });
    expect(fingerprints(report)).toEqual(inject("archiveFindings"));
    // Every object read exactly once, by its shuffle batch; the shuffle files are gone after the merge.
    const source = report.source as ObjectStorageSource;
    expect(source).toMatchObject({ kind: "otlp-archive", objectsRead: keys.length, objectsFailed: 0, failures: [] });
    expect(source.objects.map((o) => [o.key, o.status, o.requests])).toEqual(keys.map((key) => [key, "read", 1]));
    expect(await listKeys(`runs/${runId}/shuffle/`)).toEqual([]);
    expect(await listKeys(`runs/${runId}/shuffle-parts/`)).toEqual([]);
  });

  it("a failed fanned-out run leaves no shuffle files (raw spans, PII unmasked); batches still queued change nothing", async () => {
    const keys = await seedArchive();
    const queue = recordingQueue();
    const e = testEnv([archiveAudit("archive-failed", { fanOut: { inlineMaxTraces: 0, batchSize: Math.ceil(keys.length / 3) } })], { AUDIT_QUEUE: queue as never });
    await runScheduled(e, "*/30 * * * *");
    for (const m of queue.sent.splice(0)) await deliver(e, [m]);
    const partitions = queue.sent.splice(0) as Extract<QueueMessage, { kind: "partition" }>[];
    const runId = partitions[0]!.runId;
    await deliver(e, [partitions[0]!]);
    // The raw spans are there while the run goes on (the test estate records e-mails and card numbers).
    let raw = 0;
    for (const key of await listKeys(`runs/${runId}/shuffle/`)) {
      const text = new TextDecoder("latin1").decode(await (await bucket().get(key))!.arrayBuffer());
      if (/4111111111111111|@example\.(com|org|net)/.test(text)) raw++;
    }
    expect(raw).toBeGreaterThan(0);
    await deliver(e, [partitions[1]!], "tracelint-audits-dlq"); // b00002 failed every retry
    expect(await r2Json(`runs/${runId}/run.json`)).toMatchObject({ state: "failed", error: "batch b00002 failed after every retry (dead-lettered)" });
    expect(await listKeys(`runs/${runId}/shuffle/`)).toEqual([]);
    expect(await listKeys(`runs/${runId}/shuffle-parts/`)).toEqual([]);
    // The last partition, still in the queue, is skipped: the failed run is not merged and published.
    expect((await deliver(e, [partitions[2]!])).explicitAcks).toHaveLength(1);
    expect(await r2Json(`runs/${runId}/run.json`)).toMatchObject({ state: "failed", report: null });
    expect(await r2Json("reports/archive-failed/latest.json")).toBeUndefined();
  });
});
