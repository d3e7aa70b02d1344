// `tracelint serve`: runs finishing at once in one process add themselves to the audit's history
// index through the in-process lock of MemoryRunCounter (the Worker's Durable Object lock is tested
// in test/workers/history-lock.test.ts). A real directory store, whose reads and writes interleave.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FsObjectStore } from "../src/cli/fs-object-store";
import { MemoryRunCounter } from "../src/runs/ledger";
import { recordFinished } from "../src/runs/publish";
import { RunStore } from "../src/runs/run-store";
import type { RunRecord } from "../src/runs/types";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracelint-history-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (i: number): RunRecord =>
  ({
    version: 1, runId: `20260302T10${String(i).padStart(2, "0")}00Z-0000${(0x1000 + i).toString(16)}`, audit: "estate", trigger: "cron", cron: "*/5 * * * *",
    state: i % 3 === 0 ? "failed" : "done", mode: "inline", scheduledTime: "2026-03-02T10:00:00.000Z", createdAt: "2026-03-02T10:00:00.000Z",
    updatedAt: "2026-03-02T10:00:00.000Z", batches: null, requested: 1, error: i % 3 === 0 ? "boom" : null, alerts: null,
    report: i % 3 === 0 ? null : { base: `reports/estate/2026/03/02/r${i}`, traces: i, findings: 0 },
  }) as RunRecord;

it("keeps every one of 15 runs finishing at once, and latest is the newest done one", async () => {
  const store = new RunStore(new FsObjectStore(dir));
  const counter = new MemoryRunCounter();
  const records = Array.from({ length: 15 }, (_, i) => record(i));
  await Promise.all(records.map((r) => recordFinished(store, r, 500, counter.withLock.bind(counter))));
  expect((await store.history("estate")).map((h) => h.runId)).toEqual(records.map((r) => r.runId).reverse());
  expect((await store.latest("estate"))?.runId).toBe(records[14]!.runId);
  // A failing piece of work releases the lock for the next one.
  await expect(counter.withLock("history:estate", async () => Promise.reject(new Error("x")))).rejects.toThrow("x");
  expect(await counter.withLock("history:estate", async () => "next")).toBe("next");
});
