// Runs finishing at once (concurrent POSTs, cron fires, merges) each add themselves to the audit's
// history index and move `latest`: one R2 object each, read → change → write. Through the run
// ledger's Durable Object lock none is lost; without it, concurrent writers overwrote each other.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DurableObjectRunCounter } from "../../functions/run-coordinator";
import type { Env } from "../../functions/platform";
import { recordFinished } from "../../src/runs/publish";
import { RunStore } from "../../src/runs/run-store";
import type { RunRecord } from "../../src/runs/types";
import { R2BindingObjectStore } from "../../src/storage/r2-binding";

function record(audit: string, i: number): RunRecord {
  const runId = `20260302T10${String(i).padStart(2, "0")}00Z-${(0x1000 + i).toString(16).padStart(8, "0")}`;
  return {
    version: 1, runId, audit, trigger: "api", cron: null, state: "done", mode: "inline",
    scheduledTime: "2026-03-02T10:00:00.000Z", createdAt: "2026-03-02T10:00:00.000Z", updatedAt: "2026-03-02T10:00:00.000Z",
    batches: null, requested: 1, error: null, alerts: null,
    report: { base: `reports/${audit}/2026/03/02/${runId}`, traces: i, findings: 0 },
  } as RunRecord;
}

describe("history index under concurrent finishes", () => {
  it("keeps every run, and latest is the newest, with the Durable Object lock", async () => {
    const e = env as unknown as Env;
    const store = new RunStore(new R2BindingObjectStore(e.REPORTS, "REPORTS"));
    const counter = new DurableObjectRunCounter(e.RUN_COORDINATOR);
    const records = Array.from({ length: 12 }, (_, i) => record("locked", i));
    await Promise.all(records.map((r) => recordFinished(store, r, 500, counter.withLock.bind(counter))));
    expect((await store.history("locked")).map((h) => h.runId)).toEqual(records.map((r) => r.runId).reverse());
    expect((await store.latest("locked"))?.runId).toBe(records[11]!.runId);
  });

  it("loses runs without it (what the lock is for)", async () => {
    const e = env as unknown as Env;
    const store = new RunStore(new R2BindingObjectStore(e.REPORTS, "REPORTS"));
    const records = Array.from({ length: 12 }, (_, i) => record("unlocked", i));
    await Promise.all(records.map((r) => recordFinished(store, r, 500)));
    expect((await store.history("unlocked")).length).toBeLessThan(12);
  });
});
