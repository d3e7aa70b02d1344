// Combines an archive's spans by trace ID with bounded memory. Objects are read in upload-time
// order (their minute partition); a trace is complete once no object still to come can be within
// `latenessMs` of the last upload that held one of its spans. Complete traces are handed out in
// first-seen order — the order an unbounded run would use — so findings and their examples are the
// same as combining the whole window in memory, as long as no trace's uploads are further apart than
// the lateness margin (a trace that is, is split in two and may show false orphans).
//
// Memory: the spans uploaded within `latenessMs` (+ one partition) of the oldest still-open trace.
// A trace that keeps receiving spans holds back the traces first seen after it (head-of-line), so
// the bound is ≈ 2 × lateness of uploads in the worst case, not the whole window.
import type { Span } from "../../model/span";
import { Trace } from "../../model/trace";

interface Pending {
  spans: Span[];
  /** Partition time (Unix ms) of the last object that held a span of this trace. */
  lastAt: number;
  partialReason?: string;
}

export class RollingAssembler {
  readonly #pending = new Map<string, Pending>();
  #spanCount = 0;

  /** `latenessMs`: Infinity keeps everything until `drain()` (the unbounded behaviour). */
  constructor(readonly latenessMs: number) {}

  /** Adds one object's spans, uploaded in the partition starting at `at` (Unix ms). */
  add(spans: readonly Span[], at: number, partialReason?: string): void {
    for (const span of spans) {
      let entry = this.#pending.get(span.traceId);
      if (!entry) {
        entry = { spans: [], lastAt: at };
        this.#pending.set(span.traceId, entry);
      }
      entry.spans.push(span);
      if (at > entry.lastAt) entry.lastAt = at;
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
   * Hands out, in first-seen order, the traces no object from partition `next` (Unix ms) onwards
   * can extend; stops at the first one that is still open so the order stays the unbounded one.
   */
  *completeBefore(next: number): Generator<Trace> {
    for (const [traceId, entry] of this.#pending) {
      if (!(entry.lastAt + this.latenessMs < next)) return;
      yield this.#take(traceId, entry);
    }
  }

  /** Every remaining trace, in first-seen order. */
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
