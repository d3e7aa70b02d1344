// Groups spans by trace ID across every input before trace-level rules run: the spans of one trace
// may arrive in different files, batches or blocks.
import type { Span } from "../model/span";
import { Trace } from "../model/trace";

interface Pending {
  spans: Span[];
  partialReason?: string;
}

export class TraceAssembler {
  readonly #pending = new Map<string, Pending>();
  #spanCount = 0;

  /** Adds decoded spans; `partialReason` marks every trace they belong to as partial. */
  add(spans: readonly Span[], partialReason?: string): void {
    for (const span of spans) {
      let entry = this.#pending.get(span.traceId);
      if (!entry) {
        entry = { spans: [] };
        this.#pending.set(span.traceId, entry);
      }
      entry.spans.push(span);
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

  /** Yields complete traces and forgets them, so memory is released as rules consume them. */
  *drain(): Generator<Trace> {
    for (const [traceId, entry] of this.#pending) {
      this.#pending.delete(traceId);
      this.#spanCount -= entry.spans.length;
      yield new Trace(traceId, entry.spans, {
        partial: entry.partialReason !== undefined,
        ...(entry.partialReason !== undefined ? { partialReason: entry.partialReason } : {}),
      });
    }
  }
}
