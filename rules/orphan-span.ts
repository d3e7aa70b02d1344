// A span whose parent ID names a span that is not in the trace, in a trace that does have a root.
import { z } from "zod";
import { classifyOrphan } from "../src/analysis/orphan-cause";
import { defineRule } from "../src/engine/rule";

export default defineRule({
  meta: {
    id: "orphan-span",
    severity: "error",
    description: "Spans whose parent span is missing from a trace that has a root.",
    docs: `
One occurrence is one span whose \`parentSpanId\` is set (non-empty, not all zeros) but names no span
of its trace, in a trace that has at least one root span. Only the top span of each disconnected
piece counts: its children, whose parent is present, are not orphans themselves. The finding is
attributed to the **orphan's own service**, and its category is the likely cause, read from the
orphan's span kind:

- \`caller-span-missing\` (SERVER orphan, or an unspecified-kind span flagged "parent is remote"):
  the calling service propagated \`traceparent\` but its CLIENT span never reached Tempo.
- \`producer-span-missing\` (CONSUMER orphan): the producer's PRODUCER span never reached Tempo.
- \`same-service-span-lost\` (INTERNAL, CLIENT or PRODUCER orphan, or flagged "parent is local"):
  the parent was created in the same process and was never ended or was dropped before export.
- \`remote-parent-missing\` (INTERNAL, CLIENT or PRODUCER orphan flagged "parent is remote", as a
  worker that extracts a job's context into an INTERNAL span, or a gateway's CLIENT span, is): the
  context came from another process whose span never reached Tempo.
- \`parent-span-missing\`: unspecified kind and no remote flag, so the side cannot be told.
- \`dropped-by-sampling\` (checked first, for orphans whose parent is a caller's span): the caller
  was sampled differently from the orphan — the orphan's W3C sampled flag is off while the rest of
  the trace is sampled, its \`tracestate\` \`ot=th\` threshold rejects the trace's randomness, or
  the root carries \`ot=th\` and the orphan's context no longer does — so the caller's span was
  dropped by sampling rather than never sent.

Not reported: traces without any root (see \`missing-root\`), parent cycles (see \`parent-cycle\`),
and traces the source returned only in part (\`partial-trace\`), where the parent may simply not have
been returned.

**Fix.** For \`caller-span-missing\` and \`remote-parent-missing\`, check the *caller's* exporter and sampler: a head sampler
that drops its own span while still propagating a sampled flag, a failing exporter, or a collector
filter/tail-sampling policy that keeps the callee's spans but not the caller's. For
\`same-service-span-lost\`, make sure every span is ended (\`finally { span.end() }\`), that the
batch processor is flushed on shutdown and its queue is large enough, and that no collector
processor filters spans by name or attribute.
`.trim(),
    options: z.object({}),
  },
  create(context) {
    return {
      trace(trace) {
        if (trace.partial || trace.roots.length === 0) return;
        for (const span of trace.topSpans) {
          const cause = classifyOrphan(trace, span);
          context.report({
            service: span.service,
            category: cause.category,
            message: `Orphan span: ${cause.message}`,
            example: { traceId: trace.traceId, spanId: span.spanId },
          });
        }
      },
    };
  },
});
