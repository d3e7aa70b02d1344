// Span contexts that W3C Trace Context calls invalid: zero or malformed IDs, a span its own parent.
import { z } from "zod";
import { defineRule } from "../src/engine/rule";
import { isAllZeroId, isValidSpanId, isValidTraceId } from "../src/model/ids";
import type { Span } from "../src/model/span";

interface ContextProblem {
  category: string;
  message: string;
}

const PROBLEMS = {
  zeroTraceId: {
    category: "zero-trace-id",
    message: "Span has an empty or all-zero trace ID (invalid in W3C Trace Context); every such span lands in one bogus trace.",
  },
  malformedTraceId: {
    category: "malformed-trace-id",
    message: "Span's trace ID is not 16 bytes (32 hex characters) after decoding, so it cannot match the trace ID that other services propagate.",
  },
  zeroSpanId: {
    category: "zero-span-id",
    message: "Span has an empty or all-zero span ID (invalid in W3C Trace Context); no child can point to it.",
  },
  malformedSpanId: {
    category: "malformed-span-id",
    message: "Span's span ID is not 8 bytes (16 hex characters) after decoding, so children cannot point to it reliably.",
  },
  zeroParentId: {
    category: "zero-parent-id",
    message: "Span's parent span ID is all zeros instead of empty; it is treated as a root, but some backends treat it as a missing parent.",
  },
  malformedParentId: {
    category: "malformed-parent-id",
    message: "Span's parent span ID is not 8 bytes (16 hex characters) after decoding, so it can never match its parent.",
  },
  selfParent: {
    category: "self-parent",
    message: "Span names itself as its parent, so it has neither a real parent nor a place in the tree.",
  },
} satisfies Record<string, ContextProblem>;

function traceIdProblemOf(traceId: string): ContextProblem | undefined {
  if (isAllZeroId(traceId)) return PROBLEMS.zeroTraceId;
  if (!isValidTraceId(traceId)) return PROBLEMS.malformedTraceId;
  return undefined;
}

const NO_PROBLEMS: readonly ContextProblem[] = [];

/** `traceIdProblem` is the verdict on the trace's own ID, reused for the spans that carry it. */
function problemsOf(span: Span, traceId: string, traceIdProblem: ContextProblem | undefined): readonly ContextProblem[] {
  const problem = span.traceId === traceId ? traceIdProblem : traceIdProblemOf(span.traceId);
  // The usual span: valid IDs, a parent other than itself. Checked first so that it allocates nothing.
  if (
    problem === undefined &&
    isValidSpanId(span.spanId) &&
    (span.parentSpanId === "" || (isValidSpanId(span.parentSpanId) && span.parentSpanId !== span.spanId))
  ) {
    return NO_PROBLEMS;
  }
  const found: ContextProblem[] = [];
  if (problem) found.push(problem);
  if (isAllZeroId(span.spanId)) found.push(PROBLEMS.zeroSpanId);
  else if (!isValidSpanId(span.spanId)) found.push(PROBLEMS.malformedSpanId);
  if (span.parentSpanId !== "") {
    if (isAllZeroId(span.parentSpanId)) found.push(PROBLEMS.zeroParentId);
    else if (!isValidSpanId(span.parentSpanId)) found.push(PROBLEMS.malformedParentId);
    else if (span.parentSpanId === span.spanId) found.push(PROBLEMS.selfParent);
  }
  return found;
}

export default defineRule({
  meta: {
    id: "invalid-span-context",
    severity: "error",
    description: "Spans with zero or malformed trace/span/parent IDs, or that are their own parent.",
    docs: `
One occurrence is one problem on one span; a span with two problems (say, a zero trace ID and a
zero span ID) counts once in each category. The finding is attributed to the **span's own
service**. Categories:

- \`zero-trace-id\` / \`malformed-trace-id\`: the trace ID is empty or all zeros, or is not 16 bytes
  (64-bit IDs, as Jaeger and Zipkin use, are accepted and left-padded).
- \`zero-span-id\` / \`malformed-span-id\`: the span ID is empty or all zeros, or is not 8 bytes.
- \`zero-parent-id\`: the parent span ID is eight zero bytes instead of empty. W3C Trace Context
  calls an all-zero ID "not set", so tracelint treats the span as a root, but it is still reported
  because some backends and tools look for a parent with that ID.
- \`malformed-parent-id\`: the parent span ID is not 8 bytes, so it can never match a span.
- \`self-parent\`: the span's parent span ID is its own span ID. (Longer loops are
  \`parent-cycle\`.)

These come from custom or hand-rolled instrumentation, broken ID conversions (hex vs base64, byte
order, truncation of 128-bit IDs) and proxies that rewrite trace headers.

**Fix.** Use the OpenTelemetry SDK's ID generator and W3C propagator instead of hand-built IDs;
when converting IDs between systems, keep all 16/8 bytes and encode them the way the receiver
expects (OTLP/JSON wants hex); send an empty parent ID for root spans.
`.trim(),
    options: z.object({}),
  },
  create(context) {
    return {
      trace(trace) {
        const traceIdProblem = traceIdProblemOf(trace.traceId);
        for (const span of trace.spans) {
          for (const problem of problemsOf(span, trace.traceId, traceIdProblem)) {
            context.report({
              service: span.service,
              category: problem.category,
              message: problem.message,
              example: { traceId: trace.traceId, spanId: span.spanId },
            });
          }
        }
      },
    };
  },
});
