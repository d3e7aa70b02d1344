// Runs whose invocation died or whose messages were retried, in workerd with real R2, Durable
// Objects and queue(): an invocation is "killed" the way the platform does it — it never finishes
// (a storage write or a queue send that never completes: CPU or wall-clock limit, eviction, deploy)
// and the queue then re-delivers its message — or a transient Durable Object error makes queue()
// retry a message. Every retry must end where a run without the fault ends, with the same report.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import worker from "../../functions/worker";
import type { Env } from "../../functions/platform";
import type { Report } from "../../src/report/schema";
import type { IndexEntry, QueueMessage, RunRecord } from "../../src/runs/types";
import { API_TOKEN, deliver, r2Json, r2Text, recordingQueue, runScheduled, tempoAudit, testEnv } from "./support";

type BatchMessage = Extract<QueueMessage, { kind: "batch" }>;

const realBucket = (env as unknown as Env).REPORTS;
const never = () => new Promise<never>(() => {});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The REPORTS bucket, except that puts of keys matching `hang` never complete (the invocation dies there). */
function hangingBucket(hang: RegExp): Env["REPORTS"] {
  return {
    list: (o) => realBucket.list(o),
    get: (k, o) => realBucket.get(k, o),
    head: (k) => realBucket.head(k),
    delete: (k) => realBucket.delete(k),
    put: (k, v, o) => (hang.test(k) ? never() : realBucket.put(k, v, o)),
  };
}

/** RUN_COORDINATOR that answers 500 to the op `failOp` the first `times` calls (a transient Durable Object error). */
function flakyCoordinator(failOp: string, times: number): Env["RUN_COORDINATOR"] {
  const ns = (env as unknown as Env).RUN_COORDINATOR;
  let left = times;
  return {
    idFromName: (n: string) => ns.idFromName(n),
    get: (id: never) => {
      const stub = ns.get(id);
      return {
        fetch: async (input: string, init?: RequestInit) => {
          const op = (JSON.parse(String(init?.body)) as { op: string }).op;
          if (op === failOp && left > 0) {
            left--;
            return new Response("Durable Object reset because its code was updated", { status: 500 });
          }
          return stub.fetch(input, init);
        },
      };
    },
  };
}

async function run(runId: string): Promise<RunRecord> {
  return (await r2Json<RunRecord>(`runs/${runId}/run.json`))!;
}

async function waitForState(runId: string, state: RunRecord["state"]): Promise<void> {
  for (let i = 0; i < 100 && (await run(runId)).state !== state; i++) await sleep(50);
  expect((await run(runId)).state).toBe(state);
}

/** Rewrites a run record as if it had been written `ms` earlier (time passing after a kill). */
async function age(runId: string, ms: number): Promise<void> {
  const record = await run(runId);
  const back = (iso: string | undefined) => (iso ? new Date(Date.parse(iso) - ms).toISOString() : iso);
  const aged = { ...record, createdAt: back(record.createdAt), updatedAt: back(record.updatedAt), startedAt: back(record.startedAt) };
  await realBucket.put(`runs/${runId}/run.json`, new TextEncoder().encode(JSON.stringify(aged)));
}

async function call(e: Env, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`https://tracelint.example${path}`, { ...init, headers: { Authorization: `Bearer ${API_TOKEN}`, ...(init.headers ?? {}) } }), e, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

async function post(e: Env, audit: string, atMs = inject("nowMs")): Promise<{ status: number; body: { runId: string; error?: { code: string; message: string; runId?: string } } }> {
  const res = await call(e, "/api/audits", { method: "POST", body: JSON.stringify({ audit, at: new Date(atMs).toISOString() }) });
  return { status: res.status, body: (await res.json()) as never };
}

async function startViaApi(e: Env, audit: string, atMs = inject("nowMs")): Promise<string> {
  const { status, body } = await post(e, audit, atMs);
  expect(status).toBe(202);
  return body.runId;
}

/** A fanned-out API run through all its batches. */
async function fanOutRun(e: Env, queue: ReturnType<typeof recordingQueue>, audit: string, atMs = inject("nowMs")) {
  const runId = await startViaApi(e, audit, atMs);
  await deliver(e, [queue.sent.at(-1)!]);
  const batches = queue.sent.filter((m): m is BatchMessage => m.kind === "batch" && m.runId === runId);
  return { runId, batches };
}

describe("a merge retried after its report was published", () => {
  it("keeps the report as published, delta and all, when a transient Durable Object error follows the publication", async () => {
    const queue = recordingQueue();
    const good = testEnv([tempoAudit("retry-delta", { fanOut: { inlineMaxTraces: 0, batchSize: 20 } })], { AUDIT_QUEUE: queue as never });
    const first = await fanOutRun(good, queue, "retry-delta", inject("nowMs") - 30 * 60_000);
    for (const m of first.batches) await deliver(good, [m]);
    expect((await run(first.runId)).state).toBe("done");

    const second = await fanOutRun(good, queue, "retry-delta");
    for (const m of second.batches.slice(0, -1)) await deliver(good, [m]);
    const last = second.batches.at(-1)!;
    // The merge publishes, then the ledger's `finalized` call fails once: the queue retries the message.
    const attempt = await deliver({ ...good, RUN_COORDINATOR: flakyCoordinator("finalized", 1) }, [last]);
    expect(attempt.retryMessages).toHaveLength(1);
    const record = await run(second.runId);
    expect(record.state).toBe("done");
    const published = { json: await r2Text(`${record.report!.base}.json`), md: await r2Text(`${record.report!.base}.md`), html: await r2Text(`${record.report!.base}.html`) };
    expect(JSON.parse(published.json!).delta).toBeDefined();

    const retry = await deliver(good, [last]);
    expect(retry.explicitAcks).toHaveLength(1);
    // Not published again: the same bytes, delta included, in every format.
    expect({ json: await r2Text(`${record.report!.base}.json`), md: await r2Text(`${record.report!.base}.md`), html: await r2Text(`${record.report!.base}.html`) }).toEqual(published);
    const baseline = (await r2Json<Report>(`${(await run(first.runId)).report!.base}.json`))!;
    expect((await r2Json<Report>(`${record.report!.base}.json`))!.delta!.baseline).toEqual({ generatedAt: baseline.generatedAt, traces: baseline.summary.traces });
    expect(await r2Json<IndexEntry>("reports/retry-delta/latest.json")).toMatchObject({ runId: second.runId, state: "done" });
    expect((await r2Json<IndexEntry[]>("reports/retry-delta/index.json"))!.map((h) => h.runId)).toEqual([second.runId, first.runId]);
    // And the ledger is closed now: a later re-delivery is a duplicate.
    await deliver(good, [last]);
    expect(await r2Text(`${record.report!.base}.json`)).toBe(published.json);
  });

  it("a done run stays done when its merger's message is dead-lettered (every finalized call failed)", async () => {
    const queue = recordingQueue();
    const good = testEnv([tempoAudit("dlq-done", { fanOut: { inlineMaxTraces: 0, batchSize: 20 } })], { AUDIT_QUEUE: queue as never });
    const { runId, batches } = await fanOutRun(good, queue, "dlq-done");
    for (const m of batches.slice(0, -1)) await deliver(good, [m]);
    const flaky = { ...good, RUN_COORDINATOR: flakyCoordinator("finalized", 99) };
    for (let attempt = 0; attempt < 4; attempt++) await deliver(flaky, [batches.at(-1)!]); // 1 + max_retries 3
    expect((await run(runId)).state).toBe("done");
    const result = await deliver(good, [batches.at(-1)!], "tracelint-audits-dlq");
    expect(result.explicitAcks).toHaveLength(1);
    const record = await run(runId);
    expect(record).toMatchObject({ state: "done", error: null, report: { traces: 42 } });
    expect(await r2Json<IndexEntry>("reports/dlq-done/latest.json")).toMatchObject({ runId, state: "done" });
    expect((await r2Json<IndexEntry[]>("reports/dlq-done/index.json"))!.map((h) => [h.runId, h.state])).toEqual([[runId, "done"]]);
  });
});

describe("a start message re-delivered after its consumer died", () => {
  it("an inline run killed while storing its report ('merging') is run again and published", async () => {
    const queue = recordingQueue();
    const good = testEnv([tempoAudit("killed-merging")], { AUDIT_QUEUE: queue as never });
    const runId = await startViaApi(good, "killed-merging");
    const start = queue.sent[0]!;
    // First delivery: the invocation dies while writing the HTML report.
    void deliver({ ...good, REPORTS: hangingBucket(/\.html$/) }, [start]);
    await waitForState(runId, "merging");
    const again = await deliver(good, [start]); // the queue re-delivers the unacknowledged start
    expect(again.explicitAcks).toHaveLength(1);
    const record = await run(runId);
    expect(record).toMatchObject({ state: "done", mode: "inline", report: { traces: 42 } });
    expect(await r2Text(`${record.report!.base}.html`)).toMatch(/^<!doctype html>/);
    expect(await r2Json<IndexEntry>("reports/killed-merging/latest.json")).toMatchObject({ runId, state: "done" });
  });

  it("a fanned-out run whose planner died before its batches were sent is resumed: each batch counted once", async () => {
    const queue = recordingQueue();
    const good = testEnv([tempoAudit("killed-planner", { fanOut: { inlineMaxTraces: 0, batchSize: 10 } })], { AUDIT_QUEUE: queue as never });
    const runId = await startViaApi(good, "killed-planner");
    const start = queue.sent[0]!;
    // The planner records the fan-out, then dies while sending the batch messages.
    void deliver({ ...good, AUDIT_QUEUE: { send: never, sendBatch: never } as never }, [start]);
    await waitForState(runId, "running");
    expect(queue.sent).toHaveLength(1);

    await deliver(good, [start]);
    const batches = queue.sent.filter((m): m is BatchMessage => m.kind === "batch");
    expect(batches.map((b) => b.batchId)).toEqual(["b00001", "b00002", "b00003", "b00004", "b00005"]);
    await deliver(good, [batches[0]!]);
    await deliver(good, [batches[0]!]); // re-delivered: counted once
    // Another re-delivery of the start now sends only the batches not counted yet.
    await deliver(good, [start]);
    const resent = queue.sent.filter((m): m is BatchMessage => m.kind === "batch").slice(batches.length);
    expect(resent.map((b) => b.batchId)).toEqual(["b00002", "b00003", "b00004", "b00005"]);
    for (const m of batches.slice(1)) await deliver(good, [m]);
    for (const m of resent) await deliver(good, [m]); // duplicates of counted batches change nothing
    const record = await run(runId);
    expect(record).toMatchObject({ state: "done", mode: "fan-out", batches: { total: 5, done: 5 }, report: { traces: 42 } });
    expect((await r2Json<IndexEntry[]>("reports/killed-planner/index.json"))!.map((h) => h.runId)).toEqual([runId]);
  });

  it("a dead-lettered start (planning killed every time) fails the run and sends the audit-failed alert", async () => {
    const queue = recordingQueue();
    const hook = `${inject("webhookUrl")}/dlq-start`;
    const audit = tempoAudit("dlq-start", { alerts: { destinations: [{ name: "hook", type: "generic", url: hook, policy: { quietPeriodMinutes: 0 } }] } });
    const good = testEnv([audit], { AUDIT_QUEUE: queue as never });
    const runId = await startViaApi(good, "dlq-start");
    // Each attempt set the run to planning and was killed before plan.json was written.
    const record = await run(runId);
    await realBucket.put(`runs/${runId}/run.json`, new TextEncoder().encode(JSON.stringify({ ...record, state: "planning" })));
    await deliver(good, [queue.sent[0]!], "tracelint-audits-dlq");
    const after = await run(runId);
    expect(after).toMatchObject({ state: "failed", error: "planning failed after every retry (dead-lettered)", alerts: { queued: 1, delivered: 1 } });
    const received = (await (await fetch(`${inject("webhookUrl")}/received`)).json()) as { path: string; body: string }[];
    const alerts = received.filter((r) => r.path === "/dlq-start").map((r) => JSON.parse(r.body) as { alertKind: string; summary: string });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ alertKind: "audit-failed" });
    expect(alerts[0]!.summary).toContain("dead-lettered");
  });
});

describe("POST /api/audits when the queue refuses the start message", () => {
  it("answers 503 with the reason and records the run as failed, not queued for ever; the audit stays free", async () => {
    const failing = {
      send: async () => {
        throw new Error("Queue send failed: Too Many Requests");
      },
      sendBatch: async () => {
        throw new Error("Too Many Requests");
      },
    };
    const e = testEnv([tempoAudit("send-fails")], { AUDIT_QUEUE: failing as never });
    const { status, body } = await post(e, "send-fails");
    expect(status).toBe(503);
    expect(body.error!.code).toBe("queue_unavailable");
    expect(body.error!.message).toMatch(/^the audit queue refused the start message \(Queue send failed: Too Many Requests\); the run was not started and is recorded as failed \(run \d{8}T\d{6}Z-[0-9a-f]{8}\); try again$/);
    const history = (await r2Json<IndexEntry[]>("reports/send-fails/index.json"))!;
    expect(history.map((h) => h.state)).toEqual(["failed"]);
    expect((await run(history[0]!.runId)).error).toMatch(/^the audit queue refused the start message/);
    // Not holding the audit: the next request with a working queue is accepted.
    const queue = recordingQueue();
    expect((await post(testEnv([tempoAudit("send-fails")], { AUDIT_QUEUE: queue as never }), "send-fails")).status).toBe(202);
  });
});

describe("one run per audit, and runs abandoned by a killed invocation", () => {
  it("a second POST while the audit runs is 409 audit_running with the running run; after it finished, 202", async () => {
    const queue = recordingQueue();
    const e = testEnv([tempoAudit("one-at-a-time"), tempoAudit("another")], { AUDIT_QUEUE: queue as never });
    const first = await startViaApi(e, "one-at-a-time");
    const refused = await post(e, "one-at-a-time");
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "audit_running", runId: first, status: `/api/audits/${first}` });
    expect(queue.sent).toHaveLength(1);
    expect((await post(e, "another")).status).toBe(202); // other audits are not held up
    await deliver(e, [queue.sent[0]!]);
    expect((await run(first)).state).toBe("done");
    expect((await post(e, "one-at-a-time")).status).toBe(202);
  });

  it("a cron-started inline run killed mid-run blocks nothing once abandoned: the next fire marks it failed, and it is listed", async () => {
    const e = testEnv([tempoAudit("killed-cron")], { AUDIT_QUEUE: undefined });
    // The cron invocation dies while storing the report.
    void runScheduled({ ...e, REPORTS: hangingBucket(/\.html$/) }, "*/30 * * * *");
    let runId: string | undefined;
    for (let i = 0; i < 100 && !runId; i++) {
      await sleep(50);
      runId = (await realBucket.list({ prefix: "state/killed-cron/active/" })).objects[0]?.key.match(/(\d{8}T\d{6}Z-[0-9a-f]{8})/)?.[1];
    }
    await waitForState(runId!, "merging");
    // Minutes later it still says merging: a fire now is skipped (the run might still be going on) and a POST is refused.
    await runScheduled(e, "*/30 * * * *", inject("nowMs") + 5 * 60_000);
    expect(await r2Json("reports/killed-cron/index.json")).toBeUndefined();
    expect((await post(e, "killed-cron")).body.error).toMatchObject({ code: "audit_running", runId });

    // 25 minutes after it began: no invocation can still be running it (15 minutes at most).
    await age(runId!, 25 * 60_000);
    await runScheduled(e, "*/30 * * * *", inject("nowMs") + 30 * 60_000);
    const killed = await run(runId!);
    expect(killed.state).toBe("failed");
    expect(killed.error).toMatch(/^abandoned: still merging 25 min after it began; the invocation running it was stopped/);
    const history = (await r2Json<IndexEntry[]>("reports/killed-cron/index.json"))!;
    expect(history.map((h) => h.state)).toEqual(["done", "failed"]);
    expect(history[1]!.runId).toBe(runId);
    const listed = (await (await call(e, "/api/reports?audit=killed-cron")).json()) as { reports: IndexEntry[] };
    expect(listed.reports.map((r) => [r.runId, r.state])).toContainEqual([runId, "failed"]);
    expect((await realBucket.list({ prefix: "state/killed-cron/active/" })).objects).toEqual([]);
  });

  it("an API run whose start message was never processed does not hold the audit after a day; the next run marks it failed", async () => {
    const queue = recordingQueue();
    const e = testEnv([tempoAudit("lost-start")], { AUDIT_QUEUE: queue as never });
    const lost = await startViaApi(e, "lost-start");
    expect((await post(e, "lost-start")).status).toBe(409); // waiting for its start message
    await age(lost, 25 * 3600_000);
    const next = await startViaApi(e, "lost-start");
    await deliver(e, [queue.sent.at(-1)!]);
    expect((await run(lost)).state).toBe("failed");
    expect((await run(lost)).error).toMatch(/^abandoned: still queued 25 h after it was requested; its start message was never processed$/);
    expect(await run(next)).toMatchObject({ state: "done", report: { traces: 42 } });
    expect((await r2Json<IndexEntry[]>("reports/lost-start/index.json"))!.map((h) => h.runId).sort()).toEqual([lost, next].sort());
  });
});

describe("object audits through the S3 API", () => {
  it("without credentials the run fails saying which secrets to set", async () => {
    const source = { kind: "blocks", bucket: "s3://tempo-traces/tempo", s3: { endpoint: "http://127.0.0.1:9" }, tenant: "single-tenant" };
    const e = testEnv(
      [
        { name: "s3-nocreds", cron: "*/30 * * * *", source },
        { name: "s3-named", cron: "*/30 * * * *", source: { ...source, credentials: { accessKeyIdEnv: "ARCHIVE_KEY_ID", secretAccessKeyEnv: "ARCHIVE_SECRET" } } },
      ],
      { AUDIT_QUEUE: undefined, ARCHIVE_KEY_ID: "AKIA-only-the-id" },
    );
    await runScheduled(e, "*/30 * * * *");
    const [plain, named] = await Promise.all(["s3-nocreds", "s3-named"].map(async (a) => run((await r2Json<IndexEntry[]>(`reports/${a}/index.json`))![0]!.runId)));
    expect(plain!.state).toBe("failed");
    expect(plain!.error).toBe(
      'bucket: no credentials for s3://tempo-traces/tempo through the S3 API: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or name other secrets in the audit\'s source.credentials.accessKeyIdEnv/secretAccessKeyEnv; on the Worker: wrangler secret put), or read the bucket through an R2 binding ("binding")',
    );
    expect(named!.error).toMatch(/^bucket: no credentials for s3:\/\/tempo-traces\/tempo through the S3 API: set ARCHIVE_SECRET \(the secrets named by the audit's source\.credentials\.accessKeyIdEnv\/secretAccessKeyEnv;/);
    expect(named!.error).not.toContain("AKIA-only-the-id");
  });
});
