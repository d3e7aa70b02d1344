// A broken SDK or proxy that gives thousands of spans of one trace the same span ID (constant or
// zero IDs) must not make the exact-copy check quadratic: found by a scale QA (80 000 such spans
// took 154 s). Spans are copies of an SDK-recorded span with their own start times, plus true
// exact copies, and the check's cost is compared for N and 4N in the same run.
import { SpanKind } from "@opentelemetry/api";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { decodeInput } from "../src/decode/index";
import { withoutExactCopies } from "../src/model/exact-copies";
import type { Span } from "../src/model/span";
import { Trace } from "../src/model/trace";

async function template(): Promise<Span> {
  const rec = new TraceRecorder({ seed: 77 });
  rec.tracer("proxy").startSpan("forward", { kind: SpanKind.CLIENT, startTime: rec.time(0), attributes: { "server.address": "orders" } }).end(rec.time(1));
  return (await decodeInput(rec.toOtlpJson(), { name: "sdk.json" })).spans[0]!;
}

/** `n` spans with one span ID and distinct times, and every tenth one sent twice. */
function sameIdTrace(span: Span, n: number): Trace {
  const spans: Span[] = [];
  for (let i = 0; i < n; i++) {
    const copy = { ...span, startTimeUnixNano: span.startTimeUnixNano + BigInt(i), endTimeUnixNano: span.endTimeUnixNano + BigInt(i) };
    spans.push(copy);
    if (i % 10 === 0) spans.push({ ...copy });
  }
  return new Trace(span.traceId, spans);
}

function cost(trace: Trace): number {
  const start = performance.now();
  const result = withoutExactCopies(trace);
  const ms = performance.now() - start;
  expect(result.exactCopies.length).toBe(Math.ceil(trace.spans.length / 11));
  return ms;
}

describe("exact copies among many spans that share one ID", () => {
  it("are found in time linear in the spans (4× the spans: well under 16× the time)", async () => {
    const span = await template();
    const small = sameIdTrace(span, 5_000);
    const large = sameIdTrace(span, 20_000);
    cost(small); // warm-up
    const ratio = Math.min(...[0, 1, 2].map(() => cost(large) / cost(small)));
    expect(ratio).toBeLessThan(8);
  });
});
