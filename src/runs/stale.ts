// When a run that has not finished was abandoned: the invocation (or process) running it is gone and
// nothing will ever move it on. The Worker gives an invocation at most 15 minutes of wall-clock time
// (cron triggers and queue consumers alike), so an inline run — planned, analysed and published by
// one invocation — that is still unfinished well after its attempt began is dead. A fanned-out run
// lives in its batches; it is dead when neither its record nor its batch ledger moved for much longer
// than a batch can take with all its retries (4 attempts × 15 minutes, then the dead-letter queue
// fails the run anyway). The next run of the same audit (cron fire or POST /api/audits, Worker and
// `tracelint serve`) marks such runs failed ("abandoned: …"; runner.ts `reapAbandoned`), and the
// Worker's one-run-per-audit rule does not wait for them.
import type { RunCounter } from "./ledger";
import { shuffleCounterId } from "./shuffle";
import type { RunRecord } from "./types";

/** An inline (or still planning) run unfinished this long after its attempt began is abandoned. */
export const INLINE_ABANDONED_MS = 20 * 60_000;
/** A fanned-out run whose record and ledger did not move for this long is abandoned. */
export const FAN_OUT_ABANDONED_MS = 2 * 3600_000;
/** A run started by POST /api/audits whose start message was never taken up in this long is abandoned. */
export const QUEUED_ABANDONED_MS = 24 * 3600_000;

export function isFinished(record: Pick<RunRecord, "state">): boolean {
  return record.state === "done" || record.state === "failed";
}

function minutes(ms: number): string {
  return ms >= 2 * 3600_000 ? `${Math.round(ms / 3600_000)} h` : `${Math.round(ms / 60_000)} min`;
}

/**
 * Why `record` is abandoned at `nowMs`, or undefined when it may still be going on. `ledgerLastMs`:
 * when a fanned-out run's batch ledgers (batches, and the archive shuffle) last moved, if known.
 */
export function abandonedReason(record: RunRecord, nowMs: number, ledgerLastMs?: number): string | undefined {
  if (isFinished(record)) return undefined;
  const updated = Date.parse(record.updatedAt);
  if (record.mode === "fan-out") {
    const last = Math.max(updated, ledgerLastMs ?? 0);
    if (nowMs - last <= FAN_OUT_ABANDONED_MS) return undefined;
    const batches = record.batches ? ` (${record.batches.done} of ${record.batches.total} batches recorded done)` : "";
    return `abandoned: the fanned-out run made no progress for ${minutes(nowMs - last)}${batches}; its queue messages were lost or its planner stopped`;
  }
  if (record.state === "queued" && record.trigger === "api") {
    const created = Date.parse(record.createdAt);
    if (nowMs - created <= QUEUED_ABANDONED_MS) return undefined;
    return `abandoned: still queued ${minutes(nowMs - created)} after it was requested; its start message was never processed`;
  }
  const started = Date.parse(record.startedAt ?? record.updatedAt);
  if (nowMs - started <= INLINE_ABANDONED_MS) return undefined;
  return `abandoned: still ${record.state} ${minutes(nowMs - started)} after it began; the invocation running it was stopped (a Worker invocation lasts at most 15 minutes: CPU or wall-clock limit, eviction, deploy) or its process died`;
}

/** `abandonedReason` with the ledgers asked (fanned-out runs only: a Durable Object call or two). */
export async function staleReason(counter: RunCounter, record: RunRecord, nowMs: number): Promise<string | undefined> {
  if (isFinished(record)) return undefined;
  // Cheap first: without the ledgers' time a run is at least as fresh as its record says.
  if (abandonedReason(record, nowMs) === undefined) return undefined;
  if (record.mode !== "fan-out" || !counter.lastActivity) return abandonedReason(record, nowMs);
  const [batches, shuffle, progress] = await Promise.all([
    counter.lastActivity(record.runId),
    counter.lastActivity(shuffleCounterId(record.runId)),
    counter.progress?.(record.runId),
  ]);
  const last = Math.max(batches ?? 0, shuffle ?? 0);
  const withCount = progress ? { ...record, batches: progress } : record;
  return abandonedReason(withCount, nowMs, last || undefined);
}
