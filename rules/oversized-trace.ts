import { z } from "zod";
import { defineRule } from "../src/engine/rule";

export default defineRule({
  meta: {
    id: "oversized-trace",
    severity: "warning",
    description: "Traces with more spans than the configured limit (default 10 000).",
    docs: `Counts traces with more than \`maxSpans\` spans (option, default 10 000). One occurrence = one trace; one
finding per service; service = the root span's (else the earliest span's when the trace has no root). Such traces
hit Tempo's \`max_bytes_per_trace\`, are slow to load and usually come from a loop instrumented per item.

Fix: instrument the batch, not each item (one span with a count attribute, or span links for fan-in); drop
per-item spans with a sampling or \`filter\` processor in the Collector.`,
    options: z.object({ maxSpans: z.number().int().positive().default(10_000) }).strict(),
  },
  create(context) {
    const { maxSpans } = context.options;
    return {
      trace(trace) {
        if (trace.spans.length <= maxSpans) return;
        const owner = trace.roots[0] ?? trace.earliestSpan;
        if (!owner) return;
        context.report({
          service: owner.service,
          subject: null,
          message: `Traces exceed ${maxSpans} spans.`,
          example: { traceId: trace.traceId, spanId: null, evidence: `${trace.spans.length} spans` },
          fix: "Instrument batches instead of each item (one span with a count attribute, or links), or filter per-item spans in the Collector.",
        });
      },
    };
  },
});
