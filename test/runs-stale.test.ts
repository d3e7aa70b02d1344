// Runs whose invocation or process died stay `running`/`merging` with nothing to move them on. The
// next run of the audit lists its unfinished runs (one marker each) and marks the abandoned ones
// failed — an inline run well after its attempt began (a Worker invocation lasts at most 15
// minutes), a fanned-out one after long without any batch progress —, removing an archive run's
// shuffle files (raw spans). Shared by the Worker and `tracelint serve`: a directory store and the
// in-memory ledger with a fake clock. Also: a report published again keeps its baseline.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsObjectStore } from "../src/cli/fs-object-store";
import { parseDeploymentConfig } from "../src/config/deployment";
import type { Report } from "../src/report/schema";
import { activeRunsPrefix, shufflePartKey, shuffleSpansKey } from "../src/runs/keys";
import { MemoryRunCounter } from "../src/runs/ledger";
import { attachDelta, indexEntry } from "../src/runs/publish";
import { RunStore } from "../src/runs/run-store";
import { createRun, processBatch, reapAbandoned, type RunDeps } from "../src/runs/runner";
import { abandonedReason, FAN_OUT_ABANDONED_MS, INLINE_ABANDONED_MS, QUEUED_ABANDONED_MS } from "../src/runs/stale";
import type { RunRecord } from "../src/runs/types";
import { listAll } from "../src/storage/object-store";

const T = Date.parse("2026-03-02T10:00:00Z");
const MIN = 60_000;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracelint-stale-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function setup(name: string) {
  let nowMs = T;
  const objects = new FsObjectStore(join(dir, name));
  const logs: string[] = [];
  const config = parseDeploymentConfig({
    audits: [{ name: "estate", source: { kind: "otlp-archive", bucket: "s3://archive/traces" }, fanOut: { inlineMaxTraces: 0, batchSize: 10 } }],
  });
  const deps: RunDeps = {
    store: new RunStore(objects),
    counter: new MemoryRunCounter(() => nowMs),
    secrets: {},
    config,
    now: () => new Date(nowMs),
    log: (level, message) => void logs.push(`${level} ${message}`),
  };
  return { deps, objects, logs, audit: config.audits[0]!, at: (ms: number) => void (nowMs = ms) };
}

async function keys(objects: FsObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const info of listAll(objects, prefix)) out.push(info.key);
  return out.sort();
}

function record(change: Partial<RunRecord>): RunRecord {
  const iso = new Date(T).toISOString();
  return { version: 1, runId: "20260302T100000Z-00000001", audit: "estate", trigger: "cron", cron: "*/30 * * * *", state: "running", mode: "inline", scheduledTime: iso, createdAt: iso, updatedAt: iso, startedAt: iso, batches: null, requested: null, error: null, report: null, alerts: null, ...change };
}

describe("the staleness rule", () => {
  it("inline: abandoned once the attempt began more than 20 minutes ago (a Worker invocation lasts 15 at most)", () => {
    expect(INLINE_ABANDONED_MS).toBe(20 * MIN);
    for (const state of ["planning", "running", "merging"] as const) {
      expect(abandonedReason(record({ state }), T + 20 * MIN)).toBeUndefined();
      expect(abandonedReason(record({ state }), T + 21 * MIN)).toMatch(new RegExp(`^abandoned: still ${state} 21 min after it began`));
    }
    // A re-delivered start began a new attempt: measured from it, not from the run's creation.
    expect(abandonedReason(record({ state: "planning", startedAt: new Date(T + 10 * MIN).toISOString() }), T + 25 * MIN)).toBeUndefined();
    // Finished runs never are.
    expect(abandonedReason(record({ state: "done" }), T + 99 * 60 * MIN)).toBeUndefined();
    expect(abandonedReason(record({ state: "failed" }), T + 99 * 60 * MIN)).toBeUndefined();
  });

  it("queued: a cron run like an inline one; an API run waits a day for its start message", () => {
    expect(abandonedReason(record({ state: "queued", startedAt: undefined }), T + 21 * MIN)).toMatch(/^abandoned: still queued 21 min/);
    expect(abandonedReason(record({ state: "queued", trigger: "api", startedAt: undefined }), T + 23 * 60 * MIN)).toBeUndefined();
    expect(QUEUED_ABANDONED_MS).toBe(24 * 60 * MIN);
    expect(abandonedReason(record({ state: "queued", trigger: "api", startedAt: undefined }), T + 25 * 60 * MIN)).toBe(
      "abandoned: still queued 25 h after it was requested; its start message was never processed",
    );
  });

  it("fanned out: abandoned after two hours without progress of the record or the batch ledger", () => {
    expect(FAN_OUT_ABANDONED_MS).toBe(120 * MIN);
    const fanned = record({ mode: "fan-out", batches: { total: 4, done: 1 } });
    expect(abandonedReason(fanned, T + 119 * MIN)).toBeUndefined();
    expect(abandonedReason(fanned, T + 121 * MIN)).toMatch(/^abandoned: the fanned-out run made no progress for 2 h \(1 of 4 batches recorded done\)/);
    expect(abandonedReason(fanned, T + 121 * MIN, T + 60 * MIN)).toBeUndefined(); // a batch was counted an hour in
  });
});

describe("reapAbandoned: the next run of the audit marks abandoned runs failed", () => {
  it("fails an abandoned inline run (history, marker gone) and leaves one that may still be running", async () => {
    const { deps, objects, audit, at } = setup("inline");
    const dead = await createRun(deps, audit, "cron", new Date(T), "*/30 * * * *");
    await deps.store.updateRun(dead.runId, (r) => Object.assign(r, { state: "running", mode: "inline", startedAt: new Date(T).toISOString() }), new Date(T));
    at(T + 15 * MIN);
    const alive = await createRun(deps, audit, "api", new Date(T + 15 * MIN));
    await deps.store.updateRun(alive.runId, (r) => Object.assign(r, { state: "planning", startedAt: new Date(T + 15 * MIN).toISOString() }), new Date(T + 15 * MIN));
    const done = await createRun(deps, audit, "api", new Date(T + 15 * MIN));
    await deps.store.putRun({ ...(await deps.store.getRun(done.runId))!, state: "done" }); // finished, its marker left over
    expect(await keys(objects, activeRunsPrefix("estate"))).toHaveLength(3);

    at(T + 30 * MIN);
    expect(await reapAbandoned(deps, audit, "20260302T103000Z-0000ffff")).toEqual([dead.runId]);
    expect(await deps.store.getRun(dead.runId)).toMatchObject({ state: "failed", error: expect.stringMatching(/^abandoned: still running 30 min after it began; the invocation running it was stopped/) });
    expect((await deps.store.getRun(alive.runId))!.state).toBe("planning");
    expect((await deps.store.history("estate")).map((h) => [h.runId, h.state])).toEqual([[dead.runId, "failed"]]);
    expect(await keys(objects, activeRunsPrefix("estate"))).toEqual([`${activeRunsPrefix("estate")}${alive.runId}.json`]);
    expect(await reapAbandoned(deps, audit)).toEqual([]); // nothing more to do
  });

  it("fails a fanned-out archive run without batch progress, removes its shuffle files and closes its ledger", async () => {
    const { deps, objects, audit, at } = setup("fanned");
    const run = await createRun(deps, audit, "cron", new Date(T), "*/30 * * * *");
    const runId = run.runId;
    await deps.store.updateRun(runId, (r) => Object.assign(r, { state: "running", mode: "fan-out", batches: { total: 2, done: 0 } }), new Date(T));
    await deps.counter.start(runId, ["b00001", "b00002"]);
    // Raw spans written by the shuffle, and what it read.
    await objects.put(shuffleSpansKey(runId, "b00002", "s00001-1"), new TextEncoder().encode("raw spans: jane.doe@example.com 4111111111111111"));
    await deps.store.putJson(shufflePartKey(runId, "s00001"), { objects: [] });
    at(T + 60 * MIN);
    await deps.store.putPart({ version: 1, runId, batchId: "b00001", snapshot: {} as never, counts: { requested: 0, fetched: 0, partial: 0, notFound: 0, failed: 0 }, failures: [] });
    expect((await deps.counter.complete(runId, "b00001")).counted).toBe(true);

    at(T + 170 * MIN); // 110 minutes after the last batch: it may still come
    expect(await reapAbandoned(deps, audit)).toEqual([]);
    at(T + 181 * MIN);
    expect(await reapAbandoned(deps, audit)).toEqual([runId]);
    expect(await deps.store.getRun(runId)).toMatchObject({ state: "failed", error: "abandoned: the fanned-out run made no progress for 2 h (1 of 2 batches recorded done); its queue messages were lost or its planner stopped" });
    expect(await keys(objects, `runs/${runId}/shuffle/`)).toEqual([]);
    expect(await keys(objects, `runs/${runId}/shuffle-parts/`)).toEqual([]);
    // The batch still queued is skipped: the failed run is neither analysed nor merged.
    expect(await processBatch(deps, { v: 1, kind: "partition", runId, batchId: "b00002" })).toBe("duplicate");
    expect((await deps.store.getRun(runId))!.state).toBe("failed");
  });
});

describe("publishing a report again", () => {
  it("compares with the newest older done run when latest already points at this run (a retried publication)", async () => {
    const { deps } = setup("baseline");
    const older = record({ runId: "20260302T093000Z-00000001", state: "done", report: { base: "reports/estate/2026/03/02/20260302T093000Z-00000001", generatedAt: "2026-03-02T09:31:00.000Z", traces: 3, spans: 9, findings: 0, errors: 0, warnings: 0 } });
    const failed = record({ runId: "20260302T094500Z-00000001", state: "failed", error: "boom" });
    const self = record({ runId: "20260302T100000Z-00000002", state: "done", report: { base: "reports/estate/2026/03/02/20260302T100000Z-00000002", generatedAt: "2026-03-02T10:01:00.000Z", traces: 4, spans: 9, findings: 0, errors: 0, warnings: 0 } });
    const report = (generatedAt: string, traces: number) =>
      ({ generatedAt, summary: { traces, spans: 9, services: 1, files: 0, inputErrors: [] }, findings: [], scores: [] }) as unknown as Report;
    await deps.store.putJson(`${older.report!.base}.json`, report(older.report!.generatedAt, 3));
    for (const r of [older, failed, self]) await deps.store.recordHistory(indexEntry(r), 10);
    await deps.store.putLatest(indexEntry(self)); // the first publication moved latest already
    const again = await attachDelta(deps.store, self, report(self.report!.generatedAt, 4));
    expect(again.delta?.baseline).toEqual({ generatedAt: "2026-03-02T09:31:00.000Z", traces: 3 });
  });
});
