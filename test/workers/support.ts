// Helpers for the Worker tests: an env with a deployment config pointing at the test Tempo, a
// queue binding that records what the Worker sends, and delivery of recorded messages to queue().
import { createExecutionContext, createMessageBatch, env, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { inject } from "vitest";
import worker from "../../functions/worker";
import type { Env } from "../../functions/platform";
import type { QueueMessage, RunRecord } from "../../src/runs/types";
import type { Report } from "../../src/report/schema";

export const API_TOKEN = "test-token-7c1f0a";

export interface RecordingQueue {
  sent: QueueMessage[];
  send(body: unknown): Promise<void>;
  sendBatch(messages: Iterable<{ body: unknown }>): Promise<void>;
}

export function recordingQueue(): RecordingQueue {
  const sent: QueueMessage[] = [];
  return {
    sent,
    send: async (body) => void sent.push(body as QueueMessage),
    sendBatch: async (messages) => {
      for (const m of messages) sent.push(m.body as QueueMessage);
    },
  };
}

/** Audit settings shared by the tests: the demo estate, whole hour, generous samples. */
export function tempoAudit(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    cron: "*/30 * * * *",
    source: { kind: "tempo", url: inject("tempoUrl"), since: "1h", perService: 20, traces: 50 },
    ...extra,
  };
}

export function testEnv(audits: Record<string, unknown>[], overrides: Partial<Env> = {}): Env {
  return { ...(env as unknown as Env), API_TOKEN, TRACELINT_CONFIG: JSON.stringify({ audits }), ...overrides };
}

export async function runScheduled(testEnv: Env, cron: string, scheduledTime = inject("nowMs")): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled({ cron, scheduledTime }, testEnv, ctx);
  await waitOnExecutionContext(ctx);
}

/** Delivers messages to queue() as one batch; returns which were acked / retried. */
export async function deliver(testEnv: Env, messages: QueueMessage[], queue = "tracelint-audits") {
  const batch = createMessageBatch(
    queue,
    messages.map((body, i) => ({ id: `m${i}-${Math.random().toString(16).slice(2)}`, timestamp: new Date(inject("nowMs")), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as never, testEnv, ctx);
  return getQueueResult(batch, ctx);
}

export function bucket(): Env["REPORTS"] {
  return (env as unknown as Env).REPORTS;
}

export async function r2Text(key: string): Promise<string | undefined> {
  const object = await bucket().get(key);
  return object ? new TextDecoder().decode(await object.arrayBuffer()) : undefined;
}

export async function r2Json<T>(key: string): Promise<T | undefined> {
  const text = await r2Text(key);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

/** The one run record for an audit (history index, newest first). */
export async function latestRun(audit: string): Promise<RunRecord> {
  const index = await r2Json<{ runId: string }[]>(`reports/${audit}/index.json`);
  if (!index?.[0]) throw new Error(`no run recorded for ${audit}`);
  return (await r2Json<RunRecord>(`runs/${index[0].runId}/run.json`))!;
}

export async function reportOf(record: RunRecord): Promise<Report> {
  return (await r2Json<Report>(`${record.report!.base}.json`))!;
}

/** What must be equal between two runs over the same traces (not timings or the run's identity). */
export function analysisOf(report: Report): unknown {
  const source = report.source as { traces?: unknown; searches?: unknown } | undefined;
  const extended = report as Report & { coverage?: unknown };
  return { summary: report.summary, findings: report.findings, scores: report.scores, coverage: extended.coverage, traces: source?.traces };
}
