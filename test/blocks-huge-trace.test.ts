// One trace of 200 000 spans in a block is an oversized-trace finding, not a failed audit: merging
// it across blocks used to spread its spans into push(), which overflows the call stack beyond
// ≈ 125 000 (found by a scale QA). The spans are copies of an SDK-recorded span.
import { SpanKind } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { decodeInput } from "../src/decode/index";
import type { Span } from "../src/model/span";
import { mergeBlocks, type BlockStream } from "../src/sources/blocks/combine";
import type { BlockTrace } from "../src/sources/blocks/read-block";

async function* stream(traces: BlockTrace[]): AsyncGenerator<BlockTrace> {
  yield* traces;
}

describe("merging blocks", () => {
  it("merges a 200 000-span trace split over two blocks", async () => {
    const rec = new TraceRecorder({ seed: 5 });
    rec.tracer("batch").startSpan("step", { kind: SpanKind.INTERNAL, startTime: rec.time(0) }).end(rec.time(1));
    const span = (await decodeInput(rec.toOtlpJson(), { name: "sdk.json" })).spans[0]!;
    const many = (from: number, length: number): Span[] => Array.from({ length }, (_, i) => ({ ...span, spanId: (from + i).toString(16).padStart(16, "0") }));
    const streams: BlockStream[] = [
      { name: "a", traces: stream([{ traceId: span.traceId, spans: many(1, 150_000) }]) },
      { name: "b", traces: stream([{ traceId: span.traceId, spans: many(200_001, 50_000) }]) },
    ];
    const merged = [];
    for await (const trace of mergeBlocks(streams, { onBlockError: (name, error) => { throw new Error(`${name}: ${String(error)}`); } })) merged.push(trace);
    expect(merged.map((t) => [t.traceId, t.spans.length, t.blocks])).toEqual([[span.traceId, 200_000, ["a", "b"]]]);
  });
});
