// Combines the spans of one trace across overlapping blocks before any structure rule sees it
// (a per-block check reports false orphans: tempo.md §4.6, trap 17). Every block yields traces in
// TraceID order, so a k-way merge emits each complete trace as soon as all blocks have passed its
// ID, holding only the current row group of each block. Duplicate spans — the same (spanID, kind)
// from RF3 copies or re-flushed blocks — are dropped, as Tempo's own combiner does.
import type { Span } from "../../model/span";
import type { BlockTrace } from "./read-block";

export interface BlockStream {
  name: string;
  traces: AsyncIterator<BlockTrace>;
}

export interface MergedTrace {
  traceId: string;
  spans: Span[];
  /** Spans dropped as duplicates of one already seen. */
  duplicates: number;
  /** Names of the blocks the trace came from. */
  blocks: string[];
}

export interface MergeCallbacks {
  /** A block failed part-way; its traces so far were used, the rest is lost. */
  onBlockError(name: string, error: unknown): void;
  /** A block yielded a trace ID lower than its previous one (not sorted: combining may miss). */
  onUnsorted?(name: string): void;
}

interface Head {
  stream: BlockStream;
  current: BlockTrace;
}

async function advance(stream: BlockStream, callbacks: MergeCallbacks): Promise<BlockTrace | undefined> {
  try {
    const next = await stream.traces.next();
    return next.done ? undefined : next.value;
  } catch (error) {
    callbacks.onBlockError(stream.name, error);
    return undefined;
  }
}

export function dedupeSpans(spans: Span[]): { spans: Span[]; duplicates: number } {
  const seen = new Set<string>();
  const out: Span[] = [];
  for (const span of spans) {
    const key = `${span.spanId}:${span.kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(span);
  }
  return { spans: out, duplicates: spans.length - out.length };
}

export async function* mergeBlocks(streams: readonly BlockStream[], callbacks: MergeCallbacks): AsyncGenerator<MergedTrace> {
  const heads: Head[] = [];
  for (const stream of streams) {
    const current = await advance(stream, callbacks);
    if (current) heads.push({ stream, current });
  }
  while (heads.length > 0) {
    let min = heads[0]!.current.traceId;
    for (const h of heads) if (h.current.traceId < min) min = h.current.traceId;
    const parts: Span[] = [];
    const blocks: string[] = [];
    for (let i = 0; i < heads.length; ) {
      const h = heads[i]!;
      let exhausted = false;
      // A stream may hold the same trace in consecutive rows (not expected, but cheap to absorb).
      while (h.current.traceId === min) {
        // One at a time: spreading a 150 000-span trace into push() overflows the call stack.
        for (const span of h.current.spans) parts.push(span);
        if (!blocks.includes(h.stream.name)) blocks.push(h.stream.name);
        const next = await advance(h.stream, callbacks);
        if (!next) {
          exhausted = true;
          break;
        }
        if (next.traceId < min) callbacks.onUnsorted?.(h.stream.name);
        h.current = next;
      }
      if (exhausted) heads.splice(i, 1);
      else i++;
    }
    const { spans, duplicates } = dedupeSpans(parts);
    yield { traceId: min, spans, duplicates, blocks };
  }
}
