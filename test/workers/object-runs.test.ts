// Scheduled audits of Tempo's own blocks in object storage, inside workerd: the trace bucket is the
// TRACES R2 binding, seeded with Tempo's upstream test blocks (vParquet3 + a vParquet4 copy of the
// same 134 traces, so every trace spans two blocks). Inline and fanned-out runs (trace-ID partitions
// over the queue) must give identical findings; the partition arithmetic is checked directly too.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import type { Env } from "../../functions/platform";
import { hashSlot, inPartition, planPartitions, rowGroupOverlaps, type TracePartition } from "../../src/runs/partition";
import type { QueueMessage, RunPlan, RunRecord } from "../../src/runs/types";
import type { ObjectStorageSource } from "../../src/report/schema";
import { analysisOf, deliver, latestRun, r2Json, recordingQueue, reportOf, runScheduled, testEnv } from "./support";

/** After the blocks' traces (2022-07-04 11:11:09–35Z): a one-hour window ending 11:15. */
const SCHEDULED = Date.parse("2022-07-04T11:20:00Z");

/** What the inline run finds (checked against the fanned-out run too). */
const FINDINGS = ["oversized-trace frontend 25"];

async function seedTraces(): Promise<void> {
  const traces = (env as unknown as Env).TRACES!;
  for (const [key, base64] of Object.entries(inject("upstreamBlocks"))) {
    await traces.put(key, Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  }
}

function blocksAudit(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    cron: "*/30 * * * *",
    source: { kind: "blocks", bucket: "s3://tempo-traces/tempo", binding: "TRACES", tenant: "single-tenant", since: "1h", ingestionDelay: "5m" },
    // The upstream traces are clean; a low limit gives findings whose counts must add up across batches.
    rules: { "oversized-trace": ["warning", { maxSpans: 4 }] },
    ...extra,
  };
}

async function inlineRun(name: string) {
  await seedTraces();
  await runScheduled(testEnv([blocksAudit(name)], { AUDIT_QUEUE: undefined }), "*/30 * * * *", SCHEDULED);
  const record = await latestRun(name);
  return { record, report: await reportOf(record) };
}

describe("scheduled audit of Tempo blocks through the TRACES binding", () => {
  it("runs inline: both blocks read, every trace combined across them, the source section filled", async () => {
    const { record, report } = await inlineRun("blocks-inline");
    expect(record).toMatchObject({ state: "done", mode: "inline", requested: 268, batches: { total: 1, done: 1 } });
    // 134 traces, 570 spans (README of the upstream data); the second block's copies are duplicates.
    expect(report.summary).toMatchObject({ traces: 134, spans: 570, files: 2, inputErrors: [] });
    const source = report.source as ObjectStorageSource;
    expect(source).toMatchObject({
      kind: "tempo-blocks",
      location: "s3://tempo-traces/tempo",
      tenant: "single-tenant",
      window: { start: "2022-07-04T10:15:00.000Z", end: "2022-07-04T11:15:00.000Z" },
      discovery: "listing",
      objectsRead: 2,
      objectsFailed: 0,
      skipped: { compactedBlocks: 0, outsideWindow: 0, tracesOutsideWindow: 0, duplicateSpans: 570 },
      failures: [],
    });
    expect(source.objects.map((o) => [o.key, o.format, o.rowGroups, o.traces, o.spans])).toEqual([
      ["tempo/single-tenant/b27b0e53-66a0-4505-afd6-434ae3cd4a10/data.parquet", "vParquet3", { total: 1, read: 1 }, 134, 570],
      ["tempo/single-tenant/c0ffee00-66a0-4505-afd6-434ae3cd4a10/data.parquet", "vParquet4", { total: 1, read: 1 }, 134, 570],
    ]);
    // Clean structure (no orphan, no missing root once the blocks are combined); only the lowered limit fires.
    expect(report.findings.map((f) => `${f.ruleId} ${f.service} ${f.occurrences}`)).toEqual(FINDINGS);
  });

  it("fanned out over trace-ID partitions gives the same findings, summary, scores and coverage as inline", async () => {
    const inline = await inlineRun("blocks-baseline");
    const queue = recordingQueue();
    const e = testEnv([blocksAudit("blocks-fan", { fanOut: { inlineMaxTraces: 0, batchSize: 40 } })], { AUDIT_QUEUE: queue as never });
    await runScheduled(e, "*/30 * * * *", SCHEDULED);
    const messages = queue.sent as Extract<QueueMessage, { kind: "partition" }>[];
    // 268 estimated traces (two metas × 134) / 40 → 7 partitions; one row group per block, so they
    // are hash slots of the whole ID range.
    expect(messages.map((m) => [m.kind, m.batchId])).toEqual(["b00001", "b00002", "b00003", "b00004", "b00005", "b00006", "b00007"].map((id) => ["partition", id]));
    const runId = messages[0]!.runId;
    const plan = (await r2Json<RunPlan>(`runs/${runId}/plan.json`))!;
    expect(Object.values(plan.objects!.partitions)).toEqual(Array.from({ length: 7 }, (_, slot) => ({ after: null, upTo: null, slot, slots: 7 })));
    expect(plan.objects!.blocks.map((b) => b.rowGroupMaxIds)).toEqual([["0000000000000000fff92eebf68f8230"], ["0000000000000000fff92eebf68f8230"]]);
    expect((await r2Json<RunRecord>(`runs/${runId}/run.json`))!).toMatchObject({ state: "running", mode: "fan-out", batches: { total: 7, done: 0 } });
    for (const m of messages) expect((await deliver(e, [m])).explicitAcks).toHaveLength(1);
    await deliver(e, [messages[2]!]); // a re-delivery after the merge changes nothing
    const done = await latestRun("blocks-fan");
    expect(done).toMatchObject({ state: "done", batches: { total: 7, done: 7 } });
    const report = await reportOf(done);
    // Findings, examples included, do not depend on the order hash slots visit traces in.
    expect(analysisOf(report)).toEqual(analysisOf(inline.report));
    expect(report.findings).toEqual(inline.report.findings);
    expect(report.findings.map((f) => `${f.ruleId} ${f.service} ${f.occurrences}`)).toEqual(FINDINGS);
    expect(report.summary).toMatchObject({ traces: 134, spans: 570, files: 2 });
    const source = report.source as ObjectStorageSource;
    const inlineSource = inline.report.source as ObjectStorageSource;
    expect(source.skipped).toEqual(inlineSource.skipped);
    // Every batch read both blocks: rows and traces are summed over the seven batches.
    expect(source.objects.map((o) => [o.rowGroups, o.traces])).toEqual([[{ total: 1, read: 7 }, 134 * 7], [{ total: 1, read: 7 }, 134 * 7]]);
  });

  it.each([
    {
      what: "names a binding the Worker does not have",
      name: "blocks-no-binding",
      source: { binding: "NOT_BOUND" },
      error: 'bucket: the audit reads R2 binding NOT_BOUND, but the Worker has no such bucket binding (add [[r2_buckets]] binding = "NOT_BOUND" to wrangler.toml)',
    },
    {
      what: "reads a file:/// directory (tracelint serve only)",
      name: "blocks-directory",
      source: { bucket: "file:///var/tempo/traces" },
      error: "bucket: file:///var/tempo/traces is a local directory, which only tracelint serve can read; use an s3:// bucket (or an R2 binding on the Worker)",
    },
  ])("an audit that $what fails with the reason and the fix", async ({ name, source, error }) => {
    const audit = blocksAudit(name);
    Object.assign(audit.source as Record<string, unknown>, source);
    await runScheduled(testEnv([audit], { AUDIT_QUEUE: undefined }), "*/30 * * * *", SCHEDULED);
    const record = await latestRun(name);
    expect(record.state).toBe("failed");
    expect(record.error).toBe(error);
  });
});

describe("trace-ID partitions", () => {
  // Three row groups: (-∞, 3f…], (3f…, 7f…], (7f…, bf…]; IDs above bf… are in no row group.
  const maxIds = ["3f".padEnd(32, "f"), "7f".padEnd(32, "f"), "bf".padEnd(32, "f")];
  const ids = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0").padEnd(32, "a"));

  it("cuts ranges at row-group boundaries and gives big ranges hash slots; each ID is in exactly one partition", () => {
    const points = [...maxIds.map((maxId) => ({ maxId, traces: 100 })), { maxId: maxIds[1]!, traces: 100 }];
    const partitions = planPartitions(points, 0, 100, 1000);
    expect(partitions).toEqual([
      { after: null, upTo: maxIds[0], slot: 0, slots: 1 },
      { after: maxIds[0], upTo: maxIds[1], slot: 0, slots: 2 },
      { after: maxIds[0], upTo: maxIds[1], slot: 1, slots: 2 },
      { after: maxIds[1], upTo: null, slot: 0, slots: 1 },
    ]);
    for (const id of ids) expect(partitions.filter((p) => inPartition(id, p))).toHaveLength(1);
  });

  it("a batch reads only the row groups that can hold its IDs, and never skips one that does", () => {
    const partitions: TracePartition[] = [
      { after: null, upTo: maxIds[0]!, slot: 0, slots: 1 },
      { after: maxIds[0]!, upTo: "90".padEnd(32, "0"), slot: 0, slots: 1 },
      { after: "90".padEnd(32, "0"), upTo: null, slot: 0, slots: 1 },
    ];
    const read = partitions.map((p) => maxIds.map((_, i) => rowGroupOverlaps(maxIds, i, 3, p)));
    expect(read).toEqual([
      [true, false, false],
      [false, true, true],
      [false, false, true],
    ]);
    const groupOf = (id: string) => maxIds.findIndex((max) => id <= max);
    for (const id of ids.filter((x) => groupOf(x) >= 0)) {
      const p = partitions.findIndex((q) => inPartition(id, q));
      expect(read[p]![groupOf(id)]).toBe(true);
    }
    // An index that does not match the footer is not trusted: everything is read.
    expect(rowGroupOverlaps(maxIds, 0, 4, partitions[2]!)).toBe(true);
  });

  it("hash slots are stable and cover every slot", () => {
    const slots = new Set(ids.map((id) => hashSlot(id, 7)));
    expect([...slots].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(hashSlot("0000000000000000fff92eebf68f8230", 7)).toBe(hashSlot("0000000000000000fff92eebf68f8230", 7));
  });
});
