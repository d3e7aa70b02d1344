// The traces a test server serves, indexed by trace ID with what search needs precomputed.
import type { Span } from "../model/span";
import { isRootParent } from "../model/trace";

export const ROOT_NOT_RECEIVED = "<root span not yet received>";

export interface StoredTrace {
  traceId: string;
  /** Spans in input order. */
  spans: Span[];
  startNs: bigint;
  endNs: bigint;
  /** Service of the earliest root span, or Tempo's placeholder when the trace has no root. */
  rootServiceName: string;
  rootTraceName: string | undefined;
}

export class TraceStore {
  readonly #traces = new Map<string, StoredTrace>();

  constructor(spans: Iterable<Span> = []) {
    this.add(spans);
  }

  add(spans: Iterable<Span>): void {
    const grouped = new Map<string, Span[]>();
    for (const span of spans) {
      const list = grouped.get(span.traceId) ?? this.#traces.get(span.traceId)?.spans ?? [];
      list.push(span);
      grouped.set(span.traceId, list);
    }
    for (const [traceId, list] of grouped) this.#traces.set(traceId, summarise(traceId, list));
  }

  get(traceId: string): StoredTrace | undefined {
    return this.#traces.get(traceId);
  }

  /** Traces newest first (Tempo's search order). */
  newestFirst(): StoredTrace[] {
    return [...this.#traces.values()].sort((a, b) => (a.startNs > b.startNs ? -1 : a.startNs < b.startNs ? 1 : a.traceId < b.traceId ? -1 : 1));
  }

  get size(): number {
    return this.#traces.size;
  }
}

function summarise(traceId: string, spans: Span[]): StoredTrace {
  let startNs = spans[0]!.startTimeUnixNano;
  let endNs = spans[0]!.endTimeUnixNano;
  let root: Span | undefined;
  for (const s of spans) {
    if (s.startTimeUnixNano < startNs) startNs = s.startTimeUnixNano;
    if (s.endTimeUnixNano > endNs) endNs = s.endTimeUnixNano;
    if (isRootParent(s.parentSpanId) && (!root || s.startTimeUnixNano < root.startTimeUnixNano)) root = s;
  }
  return { traceId, spans, startNs, endNs, rootServiceName: root ? root.service : ROOT_NOT_RECEIVED, rootTraceName: root?.name };
}

/** Moves every timestamp by `deltaNs` (the demo re-bases its recorded estate to "just now"). */
export function shiftSpans(spans: readonly Span[], deltaNs: bigint): Span[] {
  return spans.map((s) => ({
    ...s,
    startTimeUnixNano: s.startTimeUnixNano + deltaNs,
    endTimeUnixNano: s.endTimeUnixNano + deltaNs,
    events: s.events.map((e) => ({ ...e, timeUnixNano: e.timeUnixNano + deltaNs })),
  }));
}

/** The delta that makes the latest span end at `targetEndNs`. */
export function deltaToEndAt(spans: readonly Span[], targetEndNs: bigint): bigint {
  let latest = 0n;
  for (const s of spans) if (s.endTimeUnixNano > latest) latest = s.endTimeUnixNano;
  return targetEndNs - latest;
}
