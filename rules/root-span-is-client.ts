import { z } from "zod";
import { defineRule } from "../src/engine/rule";
import { SpanKind, stringAttribute, type Span } from "../src/model/span";
import { redactText } from "../src/pii/redact";

/** A polling receive (semconv ≥ 1.26: kind CLIENT), which may start a trace by design. */
function isMessagingReceive(span: Span): boolean {
  return (stringAttribute(span.attributes, "messaging.operation.type") ?? stringAttribute(span.attributes, "messaging.operation")) === "receive";
}

export default defineRule({
  meta: {
    id: "root-span-is-client",
    severity: "warning",
    description: "Root spans of kind CLIENT (Instrumentation Score SPA-004).",
    docs: `Counts root spans (no parent) of kind CLIENT. One occurrence = one such root span; one finding per service;
service = the span's. An outgoing call with no enclosing span means the work that made the call (a request handler,
a job, a consumer) is not instrumented, so the trace starts mid-way and its cause is lost.

Fix: wrap the unit of work in a SERVER/CONSUMER/INTERNAL span (enable the server or messaging instrumentation, or
start a span around the job) so the CLIENT span becomes its child. The evidence gives the (PII-masked) span name.

Not counted: a messaging *receive* span (\`messaging.operation.type\` or the older \`messaging.operation\`
= \`receive\`). Semantic conventions 1.26 make a polling receive a CLIENT span, and a consumer that polls in a
loop has no enclosing span to give it: the message's context arrives in its links, not as a parent.`,
    options: z.object({}).strict(),
  },
  create(context) {
    return {
      trace(trace) {
        for (const root of trace.roots) {
          if (root.kind !== SpanKind.CLIENT || isMessagingReceive(root)) continue;
          context.report({
            service: root.service,
            subject: null,
            message: "Traces start with a CLIENT span: the work that made the call has no span.",
            example: { traceId: root.traceId, spanId: root.spanId, evidence: `root CLIENT span "${redactText(root.name).slice(0, 120)}"` },
            fix: "Start a SERVER, CONSUMER or INTERNAL span around the job or handler that makes this call.",
          });
        }
      },
    };
  },
});
