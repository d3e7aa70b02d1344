import { z } from "zod";
import { defineRule } from "../src/engine/rule";

const LIMITS = [
  { category: "attributes", field: "droppedAttributesCount", env: "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT (or OTEL_ATTRIBUTE_COUNT_LIMIT)" },
  { category: "events", field: "droppedEventsCount", env: "OTEL_SPAN_EVENT_COUNT_LIMIT" },
  { category: "links", field: "droppedLinksCount", env: "OTEL_SPAN_LINK_COUNT_LIMIT" },
] as const;

export default defineRule({
  meta: {
    id: "span-limits-exceeded",
    severity: "warning",
    description: "Spans whose SDK dropped attributes, events or links at its span limits.",
    docs: `Counts spans with \`droppedAttributesCount\`, \`droppedEventsCount\` or \`droppedLinksCount\` > 0 (category
\`attributes\`, \`events\`, \`links\`). One occurrence = one span; one finding per (service, category); service = the
span's. The SDK silently discarded data at its span limits (default 128 of each), so the span is missing
attributes or events that queries and other rules may rely on.

Fix: record less on these spans (e.g. one event per batch rather than per item, fewer captured headers), or raise the
limit with \`OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT\`, \`OTEL_SPAN_EVENT_COUNT_LIMIT\` or \`OTEL_SPAN_LINK_COUNT_LIMIT\`.`,
    options: z.object({}).strict(),
  },
  create(context) {
    return {
      trace(trace) {
        for (const span of trace.spans) {
          // Almost no span dropped anything: three plain reads instead of three keyed ones.
          if (!(span.droppedAttributesCount > 0) && !(span.droppedEventsCount > 0) && !(span.droppedLinksCount > 0)) continue;
          for (const limit of LIMITS) {
            const dropped = span[limit.field];
            if (!(dropped > 0)) continue;
            context.report({
              service: span.service,
              subject: null,
              category: limit.category,
              message: `Spans dropped ${limit.category} at the SDK's span limit.`,
              example: { traceId: span.traceId, spanId: span.spanId, evidence: `${dropped} ${limit.category} dropped` },
              fix: `Record fewer ${limit.category} per span, or raise ${limit.env}.`,
            });
          }
        }
      },
    };
  },
});
