// The Worker's scheduled audits inside workerd, against the Tempo-compatible server on 127.0.0.1
// serving the demo estate (real SDK traces): inline runs, fan-out over the queue with the
// RunCoordinator Durable Object, re-delivered batches, reports and pointers in R2.
import { describe, expect, inject, it } from "vitest";
import { analysisOf, bucket, deliver, latestRun, r2Json, r2Text, recordingQueue, reportOf, runScheduled, tempoAudit, testEnv } from "./support";
import type { IndexEntry, QueueMessage, RunPlan, RunRecord } from "../../src/runs/types";

type BatchMessage = Extract<QueueMessage, { kind: "batch" }>;

async function inlineBaseline(name: string) {
  const e = testEnv([tempoAudit(name)], { AUDIT_QUEUE: undefined });
  await runScheduled(e, "*/30 * * * *");
  const record = await latestRun(name);
  return { record, report: await reportOf(record) };
}

describe("scheduled audit, inline", () => {
  it("stores JSON, Markdown and HTML under reports/<audit>/<yyyy>/<mm>/<dd>/<runId>, plus latest and history", async () => {
    const { record, report } = await inlineBaseline("inline-one");
    expect(record.state).toBe("done");
    expect(record.mode).toBe("inline");
    expect(record.trigger).toBe("cron");
    expect(record.cron).toBe("*/30 * * * *");
    expect(record.runId).toMatch(/^20260302T100000Z-[0-9a-f]{8}$/);
    expect(record.report!.base).toBe(`reports/inline-one/2026/03/02/${record.runId}`);
    // The demo estate: 42 traces, 208 spans; its documented defects give errors and warnings.
    expect(report.summary).toMatchObject({ traces: 42, spans: 208, services: 6 });
    expect(record.report).toMatchObject({ traces: 42, spans: 208, findings: report.findings.length });
    expect(report.findings.map((f) => `${f.ruleId} ${f.service} ${f.subject} ${f.occurrences}`)).toContain("propagation-gap payments payments→fraud-check 10");
    expect(report.source).toMatchObject({ kind: "tempo", window: { end: "2026-03-02T09:55:00.000Z", start: "2026-03-02T08:55:00.000Z" }, traces: { fetched: 42, failed: 0 } });
    const md = await r2Text(`${record.report!.base}.md`);
    expect(md).toContain("propagation-gap");
    const html = await bucket().head(`${record.report!.base}.html`);
    expect(html!.httpMetadata?.contentType).toBe("text/html; charset=utf-8");
    expect(await r2Json<IndexEntry>("reports/inline-one/latest.json")).toMatchObject({ runId: record.runId, state: "done", report: { base: record.report!.base } });
  });

  it("runs only the audits whose cron fired", async () => {
    const e = testEnv([tempoAudit("cron-a"), tempoAudit("cron-b", { cron: "0 6 * * mon-fri" })], { AUDIT_QUEUE: undefined });
    await runScheduled(e, "0 6 * * mon-fri");
    expect(await r2Json("reports/cron-a/index.json")).toBeUndefined();
    expect((await latestRun("cron-b")).state).toBe("done");
  });

  it("a bad config is one clear error and a failed-audit record, not an exception", async () => {
    const e = testEnv([{ name: "Bad Name", source: { kind: "tempo", url: "not a url" } }]);
    await expect(runScheduled(e, "*/30 * * * *")).resolves.toBeUndefined();
    const record = await latestRun("_config");
    expect(record.state).toBe("failed");
    expect(record.error).toMatch(/^configuration error: TRACELINT_CONFIG: audits\.0\.name: lower-case letters/);
  });

  it("an unreachable Tempo fails the run with the reason", async () => {
    const e = testEnv([{ name: "unreachable", cron: "*/30 * * * *", source: { kind: "tempo", url: "http://127.0.0.1:9/" } }], { AUDIT_QUEUE: undefined });
    await runScheduled(e, "*/30 * * * *");
    const record = await latestRun("unreachable");
    expect(record.state).toBe("failed");
    expect(record.error).toMatch(/^Tempo: /);
  });

  it("a run that read no trace (nothing in its window, e.g. a misspelt tenant) fails instead of becoming latest, the next run's baseline", async () => {
    const e = testEnv([tempoAudit("empty-window")], { AUDIT_QUEUE: undefined });
    await runScheduled(e, "*/30 * * * *");
    const good = await latestRun("empty-window");
    expect(good.state).toBe("done");
    // A day earlier: Tempo's searches answer, with nothing.
    await runScheduled(e, "*/30 * * * *", inject("nowMs") - 86_400_000);
    const history = (await r2Json<IndexEntry[]>("reports/empty-window/index.json"))!;
    expect(history.map((h) => h.state)).toEqual(["done", "failed"]); // newest first: the empty run is older
    const failed = history[1]!;
    expect(failed.report).toBeNull();
    expect(failed.error).toMatch(/^Tempo found no traces in the window 2026-03-01T08:55:00\.000Z – 2026-03-01T09:55:00\.000Z: check the audit's tenant/);
    // The next run (a minute later, so it sorts after the good one): compared with the good report, not with an empty one.
    await runScheduled(e, "*/30 * * * *", inject("nowMs") + 60_000);
    const latest = (await r2Json<IndexEntry>("reports/empty-window/latest.json"))!;
    expect(latest.runId).not.toBe(good.runId);
    const report = await reportOf((await r2Json<RunRecord>(`runs/${latest.runId}/run.json`))!);
    expect(report.delta).toMatchObject({ findings: { new: [], resolved: [] } });
  });
});

describe("scheduled audit, fanned out over the queue", () => {
  async function plannedFanOut(name: string, batchSize: number) {
    const queue = recordingQueue();
    const e = testEnv([tempoAudit(name, { fanOut: { inlineMaxTraces: 0, batchSize } })], { AUDIT_QUEUE: queue as never });
    await runScheduled(e, "*/30 * * * *");
    const record = await latestRunFromRuns(queue.sent);
    return { e, queue, record, batches: queue.sent as BatchMessage[] };
  }

  async function latestRunFromRuns(sent: QueueMessage[]) {
    return (await r2Json<{ state: string; mode: string; batches: unknown }>(`runs/${sent[0]!.runId}/run.json`))!;
  }

  it("gives the same findings, summary, scores and coverage as the inline run on the same traces", async () => {
    const inline = await inlineBaseline("fan-baseline");
    const { e, record, batches } = await plannedFanOut("fan-equal", 7);
    expect(record).toMatchObject({ state: "running", mode: "fan-out", batches: { total: 6, done: 0 } });
    expect(batches.map((b) => b.candidates.length)).toEqual([7, 7, 7, 7, 7, 7]);
    for (const b of batches) expect(JSON.stringify(b).length).toBeLessThan(100_000);
    // One message per invocation, as the consumer is configured (max_batch_size = 1).
    for (const b of batches) expect((await deliver(e, [b])).explicitAcks).toHaveLength(1);
    const done = await latestRun("fan-equal");
    expect(done.state).toBe("done");
    expect(done.batches).toEqual({ total: 6, done: 6 });
    expect(analysisOf(await reportOf(done))).toEqual(analysisOf(inline.report));
  });

  it("a re-delivered batch is not counted twice and does not finish the run early", async () => {
    const inline = await inlineBaseline("redeliver-baseline");
    const { e, batches } = await plannedFanOut("redeliver", 15);
    expect(batches).toHaveLength(3);
    const [b1, b2, b3] = batches as [BatchMessage, BatchMessage, BatchMessage];
    await deliver(e, [b1]);
    await deliver(e, [b1]); // re-delivered (e.g. the ack was lost)
    await deliver(e, [b2]);
    const runId = b1.runId;
    // Had b1 counted twice, 3 of 3 would be "done" now and the run merged without b3.
    expect((await r2Json<{ state: string }>(`runs/${runId}/run.json`))!.state).toBe("running");
    const status = await e.RUN_COORDINATOR.get(e.RUN_COORDINATOR.idFromName(runId) as never).fetch("https://x/", { method: "POST", body: JSON.stringify({ op: "progress" }) });
    expect(await status.json()).toEqual({ total: 3, done: 2 });
    await deliver(e, [b3]);
    await deliver(e, [b2]); // after the merge: ignored, no second report
    const done = await latestRun("redeliver");
    expect(done.state).toBe("done");
    const report = await reportOf(done);
    expect(report.summary.traces).toBe(42);
    expect(analysisOf(report)).toEqual(analysisOf(inline.report));
    const history = await r2Json<IndexEntry[]>("reports/redeliver/index.json");
    expect(history!.map((h) => h.runId)).toEqual([runId]);
    const plan = await r2Json<RunPlan>(`runs/${runId}/plan.json`);
    expect(plan!.batches.map((b) => b.size)).toEqual([15, 15, 12]);
  });

  it("a dead-lettered batch marks its run failed", async () => {
    const { e, batches } = await plannedFanOut("dead-letter", 21);
    const result = await deliver(e, [batches[0]!], "tracelint-audits-dlq");
    expect(result.explicitAcks).toHaveLength(1);
    const record = (await r2Json<{ state: string; error: string }>(`runs/${batches[0]!.runId}/run.json`))!;
    expect(record).toMatchObject({ state: "failed", error: "batch b00001 failed after every retry (dead-lettered)" });
  });
});
