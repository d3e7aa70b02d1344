// Fetches candidate traces with bounded concurrency and yields them in candidate order as they
// arrive. At most `2 × concurrency` traces are in flight or waiting to be consumed, so memory is
// bounded by concurrency, never by the audit's size. A failure is an outcome, not an exception.
import pLimit from "p-limit";
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
    return { kind: "failed", candidate, reason: client.http.redact((error as Error).message ?? String(error)) };
  }
}

/**
 * With a `signal` (the client's own, for an interruptible audit): once it is aborted no fetch
 * starts, those in flight end as `interrupted`, and the traces already fetched are still yielded.
 */
export async function* fetchTraces(client: TempoClient, candidates: Iterable<Candidate>, concurrency: number, signal?: AbortSignal): AsyncGenerator<FetchOutcome> {
  const limit = pLimit(Math.max(1, concurrency));
  const windowSize = Math.max(1, concurrency) * 2;
  const queue: Promise<FetchOutcome>[] = [];
  const iterator = candidates[Symbol.iterator]();
  let exhausted = false;
  const refill = () => {
    while (!exhausted && !signal?.aborted && queue.length < windowSize) {
      const next = iterator.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const candidate = next.value;
      queue.push(limit(() => fetchOne(client, candidate, signal)));
    }
  };
  refill();
  while (queue.length > 0) {
    const outcome = await queue.shift()!;
    refill();
    yield outcome;
  }
}
