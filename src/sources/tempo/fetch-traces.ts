// Fetches candidate traces with a bounded pool of requests and yields them in candidate order.
// A new request starts as soon as any in-flight one ends (not only when the oldest is consumed),
// so one slow trace (latency, retries, Retry-After) does not hold the other slots idle. Results
// that arrive ahead of a slower, earlier trace wait in a reorder buffer bounded by count and bytes:
// memory is bounded by the look-ahead, never by the audit's size. A failure is an outcome, not an
// exception.
import { TraceAssembler } from "../../engine/assemble";
import type { Trace } from "../../model/trace";
import type { TempoClient } from "./client";
import type { Candidate } from "./plan";

export type FetchOutcome =
  | { kind: "found"; candidate: Candidate; traces: Trace[]; partialReason: string | undefined; bytes: number; decodeErrors: string[] }
  | { kind: "not-found"; candidate: Candidate }
  | { kind: "failed"; candidate: Candidate; reason: string }
  /** Not fetched because the audit was interrupted (only with a `signal`). */
  | { kind: "interrupted"; candidate: Candidate; reason: string };

/** How far the pool may run ahead of the oldest trace not yet consumed. */
export interface FetchWindow {
  /**
   * Traces started but not yet consumed (in flight plus waiting in the reorder buffer); default
   * `concurrency × LOOK_AHEAD_PER_SLOT`, at least `concurrency`.
   */
  maxAhead?: number;
  /**
   * Response bytes of finished traces waiting behind an earlier one; past it no new request starts
   * until the consumer catches up (default DEFAULT_MAX_BUFFERED_BYTES).
   */
  maxBufferedBytes?: number;
}

/** Look-ahead per request slot: a slow trace is overtaken by up to this many traces per slot. */
export const LOOK_AHEAD_PER_SLOT = 64;
/**
 * Response bytes (decoded bodies) held in the reorder buffer before the pool waits for a slow trace:
 * 8 MiB, so that even protobuf bodies, several times larger once decoded, fit a Worker's 128 MB.
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

async function fetchOne(client: TempoClient, candidate: Candidate, signal: AbortSignal | undefined): Promise<FetchOutcome> {
  if (signal?.aborted) return { kind: "interrupted", candidate, reason: "interrupted" };
  try {
    const result = await client.traceById(candidate.traceId, candidate.hint);
    if (result.outcome === "not-found") return { kind: "not-found", candidate };
    if (result.outcome === "too-large") return { kind: "failed", candidate, reason: `too large for Tempo's v1 API (${result.message})` };
    // A response holds one trace; grouping still guards against stray spans of other traces.
    const assembler = new TraceAssembler();
    assembler.add(result.spans, result.partialReason);
    return { kind: "found", candidate, traces: [...assembler.drain()], partialReason: result.partialReason, bytes: result.bytes, decodeErrors: result.errors };
  } catch (error) {
    if (signal?.aborted) return { kind: "interrupted", candidate, reason: "interrupted" };
    return { kind: "failed", candidate, reason: client.http.redact((error as Error)?.message ?? String(error)) };
  }
}

/**
 * At most `concurrency` requests are in flight; whenever one ends another starts, as long as fewer
 * than `maxAhead` traces are started but unconsumed and the buffered responses stay under
 * `maxBufferedBytes`. Outcomes are yielded in candidate order (the report's input errors and
 * failures list keep the sample's order, whatever the network's timing).
 *
 * With a `signal` (the client's own, for an interruptible audit): once it is aborted no fetch
 * starts, those in flight end as `interrupted`, and the traces already fetched are still yielded.
 * A consumer that stops early (`break`) stops the pool too: nothing new starts.
 */
export async function* fetchTraces(
  client: TempoClient,
  candidates: Iterable<Candidate>,
  concurrency: number,
  signal?: AbortSignal,
  window: FetchWindow = {},
): AsyncGenerator<FetchOutcome> {
  const slots = Math.max(1, Math.floor(concurrency) || 1);
  const maxAhead = Math.max(slots, Math.floor(window.maxAhead ?? slots * LOOK_AHEAD_PER_SLOT));
  const maxBufferedBytes = window.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const iterator = candidates[Symbol.iterator]();
  /** Finished outcomes by sequence number, waiting for every earlier one to be yielded. */
  const ready = new Map<number, FetchOutcome>();
  let bufferedBytes = 0;
  let inFlight = 0;
  let started = 0; // sequence number of the next request
  let head = 0; // sequence number of the next outcome to yield
  let exhausted = false;
  let closed = false;
  let wake: (() => void) | undefined;

  const settle = (seq: number, outcome: FetchOutcome) => {
    inFlight--;
    ready.set(seq, outcome);
    if (outcome.kind === "found") bufferedBytes += outcome.bytes;
    pump();
    const w = wake;
    wake = undefined;
    w?.();
  };

  const pump = () => {
    while (!closed && !exhausted && !signal?.aborted && inFlight < slots && started - head < maxAhead && bufferedBytes < maxBufferedBytes) {
      const next = iterator.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const candidate = next.value;
      const seq = started++;
      inFlight++;
      fetchOne(client, candidate, signal).then(
        (outcome) => settle(seq, outcome),
        (error: unknown) => settle(seq, { kind: "failed", candidate, reason: client.http.redact((error as Error)?.message ?? String(error)) }),
      );
    }
  };

  try {
    pump();
    for (;;) {
      const outcome = ready.get(head);
      if (outcome !== undefined) {
        ready.delete(head);
        if (outcome.kind === "found") bufferedBytes -= outcome.bytes;
        head++;
        pump();
        yield outcome;
        continue;
      }
      // Everything started has been yielded and pump() started nothing more: the candidates are
      // exhausted, or the signal stopped the rest from starting.
      if (head === started) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    closed = true;
    ready.clear();
  }
}
