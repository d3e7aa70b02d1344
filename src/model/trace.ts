// One complete trace (all spans that share a trace ID across every input), with the structural
// indexes that several rules need, computed once on first use.
import { isAllZeroId } from "./ids";
import type { Span } from "./span";

/** A parent ID of "" or all zeros makes a span a root (W3C: an all-zero ID is "not set"). */
export function isRootParent(parentSpanId: string): boolean {
  return parentSpanId === "" || isAllZeroId(parentSpanId);
}

export function compareStart(a: Span, b: Span): number {
  return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0;
}

const NO_SPANS: readonly Span[] = [];

export interface TraceOptions {
  /** The source returned only part of the trace (Tempo `status: PARTIAL`, size limits). */
  partial?: boolean;
  partialReason?: string;
  /** Exact copies of spans of this trace, dropped from `spans` (see exact-copies.ts). */
  exactCopies?: readonly Span[];
}

export class Trace {
  readonly traceId: string;
  /** Spans in input order. */
  readonly spans: readonly Span[];
  readonly partial: boolean;
  readonly partialReason: string | undefined;
  /** Spans dropped as exact copies of a span in `spans` (same ID and content; see exact-copies.ts). */
  readonly exactCopies: readonly Span[];

  #byId?: Map<string, Span>;
  #children?: Map<string, Span[]>;
  #roots?: Span[];
  #topSpans?: Span[];
  #byStart?: Span[];

  constructor(traceId: string, spans: readonly Span[], options: TraceOptions = {}) {
    this.traceId = traceId;
    this.spans = spans;
    this.partial = options.partial ?? false;
    this.partialReason = options.partialReason;
    this.exactCopies = options.exactCopies ?? NO_SPANS;
  }

  /** Spans sorted by start time (ties keep input order). */
  get spansByStart(): readonly Span[] {
    return (this.#byStart ??= [...this.spans].sort(compareStart));
  }

  /** Span ID → the earliest-starting span with that ID (ties: input order). */
  get spanById(): ReadonlyMap<string, Span> {
    if (!this.#byId) {
      // One pass in input order, replacing only on a strictly earlier start: the same choice as
      // walking `spansByStart` (a stable sort), without sorting every trace.
      const map = new Map<string, Span>();
      for (const span of this.spans) {
        const seen = map.get(span.spanId);
        if (seen === undefined || span.startTimeUnixNano < seen.startTimeUnixNano) map.set(span.spanId, span);
      }
      this.#byId = map;
    }
    return this.#byId;
  }

  /** Parent span ID → children (input order). Roots are not listed under any key. */
  get childrenByParent(): ReadonlyMap<string, readonly Span[]> {
    if (!this.#children) {
      const map = new Map<string, Span[]>();
      for (const span of this.spans) {
        if (isRootParent(span.parentSpanId)) continue;
        const list = map.get(span.parentSpanId);
        if (list) list.push(span);
        else map.set(span.parentSpanId, [span]);
      }
      this.#children = map;
    }
    return this.#children;
  }

  /** Spans without a parent (empty or all-zero parent ID), sorted by start time. */
  get roots(): readonly Span[] {
    return (this.#roots ??= this.#sortedSubset((s) => isRootParent(s.parentSpanId)));
  }

  /** Spans whose parent ID is set but names no span of this trace, sorted by start time. */
  get topSpans(): readonly Span[] {
    if (!this.#topSpans) {
      const byId = this.spanById;
      this.#topSpans = this.#sortedSubset((s) => !isRootParent(s.parentSpanId) && !byId.has(s.parentSpanId));
    }
    return this.#topSpans;
  }

  /** The earliest-starting span (the trace's "owner" when it has no root). */
  get earliestSpan(): Span | undefined {
    if (this.#byStart) return this.#byStart[0];
    // First of the minimal start times in input order, as the stable sort would put first.
    let earliest: Span | undefined;
    for (const span of this.spans) if (earliest === undefined || span.startTimeUnixNano < earliest.startTimeUnixNano) earliest = span;
    return earliest;
  }

  /**
   * The spans matching `keep`, in start order (ties: input order). Filtering first and sorting the
   * few survivors (a stable sort) gives the same list as filtering `spansByStart`.
   */
  #sortedSubset(keep: (span: Span) => boolean): Span[] {
    if (this.#byStart) return this.#byStart.filter(keep);
    return this.spans.filter(keep).sort(compareStart);
  }

  parentOf(span: Span): Span | undefined {
    return isRootParent(span.parentSpanId) ? undefined : this.spanById.get(span.parentSpanId);
  }
}
