// Spans whose timestamps cannot be right: a zero start or end, or an end before the start.
import { z } from "zod";
import { timestampProblems, type TimestampProblem } from "../src/analysis/structure";
import { defineRule } from "../src/engine/rule";

const MESSAGES: Record<TimestampProblem, string> = {
  "zero-start-time": "Span has a zero start time (1970-01-01): the start was never recorded or was lost in conversion.",
  "zero-end-time": "Span has a zero end time: it was exported without being ended, or the end was lost in conversion.",
  "end-before-start": "Span ends before it starts: its duration is negative (clock stepped backwards, or start and end taken from different clocks).",
};

export default defineRule({
  meta: {
    id: "invalid-timestamps",
    severity: "error",
    description: "Spans with a zero start or end time, or that end before they start.",
    docs: `
One occurrence is one problem on one span, attributed to the **span's own service**. Categories:

- \`zero-start-time\`: \`startTimeUnixNano\` is 0.
- \`zero-end-time\`: \`endTimeUnixNano\` is 0 (a span exported without being ended, or a
  converter that dropped the field).
- \`end-before-start\`: both are set and the end is earlier than the start. Not reported when a
  time is zero, which already says more.

Such spans have meaningless durations, distort latency percentiles and RED metrics derived from
traces, and fall outside time-range queries (Tempo rejects or mis-files spans far outside its
ingestion window).

**Fix.** Let the SDK take both timestamps (\`span.end()\` without arguments, or explicit times from
the same monotonic-anchored clock); when passing explicit times, use one clock for start and end
and the right unit (nanoseconds in OTLP, microseconds in Zipkin, milliseconds in many APIs);
check any converter between formats.
`.trim(),
    options: z.object({}),
  },
  create(context) {
    return {
      trace(trace) {
        for (const span of trace.spans) {
          for (const problem of timestampProblems(span)) {
            context.report({
              service: span.service,
              category: problem,
              message: MESSAGES[problem],
              example: { traceId: trace.traceId, spanId: span.spanId },
            });
          }
        }
      },
    };
  },
});
