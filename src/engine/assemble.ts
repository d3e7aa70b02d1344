// Groups spans by trace ID across every input before trace-level rules run: the spans of one trace
// may arrive in different files, batches, blocks or archive objects.
//
// Inputs read in upload-time order (an archive's minute partitions) can hand traces out early:
// a trace is complete once no input still to come can be within `latenessMs` of the last upload
// that held one of its spans (`completeBefore`). Traces come out in first-seen order — the order
// `drain` uses — so findings and their examples are the same as combining everything in memory, as
// long as no trace's uploads are further apart than the lateness margin (a trace that is, is split
// in two and may show false orphans). Memory is then the spans uploaded within the lateness (+ one
// partition) of the oldest still-open trace; a trace that keeps receiving spans holds back the
// traces first seen after it (head-of-line), so ≈ 2 × lateness of uploads in the worst case.
import type { Span } from "../model/span";
import { Trace } from "../model/trace";

interface Pending {
  spans: Span[];
  /** Upload time (Unix ms) of the last input that held a span of this trace; 0 when not given. */
  lastAt: number;
  partialReason?: string;
}

export class TraceAssembler {
  readonly #pending = new Map<string, Pending>();
  #spanCount = 0;

  /**
   * Adds decoded spans; `partialReason` marks every trace they belong to as partial, `uploadedAt`
   * (Unix ms) is when their input was uploaded, for `completeBefore`.
   */
  add(spans: readonly Span[], partialReason?: string, uploadedAt = 0): void {
    // Exporters write a trace's spans of one service next to each other: the previous span's
    // entry saves a look-up in a table of every open trace (a cache miss, most of the time).
    let lastTraceId: string | undefined;
    let entry: Pending | undefined;
    for (const span of spans) {
      if (span.traceId !== lastTraceId || entry === undefined) {
        lastTraceId = span.traceId;
        entry = this.#pending.get(span.traceId);
        if (!entry) {
          entry = { spans: [], lastAt: uploadedAt };
          this.#pending.set(span.traceId, entry);
        }
      }
      entry.spans.push(span);
      if (uploadedAt > entry.lastAt) entry.lastAt = uploadedAt;
      if (partialReason !== undefined) entry.partialReason = partialReason;
    }
    this.#spanCount += spans.length;
  }

  get traceCount(): number {
    return this.#pending.size;
  }

  get spanCount(): number {
    return this.#spanCount;
  }

  /**
   * Hands out, in first-seen order, the traces that no input uploaded at `next` (Unix ms) or later
   * can extend; stops at the first one still open, so the order stays that of `drain`.
   */
  *completeBefore(next: number, latenessMs: number): Generator<Trace> {
    for (const [traceId, entry] of this.#pending) {
      if (!(entry.lastAt + latenessMs < next)) return;
      yield this.#take(traceId, entry);
    }
  }

  /** Yields every trace, in first-seen order, and forgets it, so memory is released as rules consume them. */
  *drain(): Generator<Trace> {
    for (const [traceId, entry] of this.#pending) yield this.#take(traceId, entry);
  }

  #take(traceId: string, entry: Pending): Trace {
    this.#pending.delete(traceId);
    this.#spanCount -= entry.spans.length;
    return new Trace(traceId, entry.spans, {
      partial: entry.partialReason !== undefined,
      ...(entry.partialReason !== undefined ? { partialReason: entry.partialReason } : {}),
    });
  }
}
