// A trace with more than one root span: someone started a new root inside an existing trace.
import { z } from "zod";
import { defineRule } from "../src/engine/rule";

export default defineRule({
  meta: {
    id: "multiple-roots",
    severity: "warning",
    description: "Traces with more than one root span.",
    docs: `
One occurrence is one trace with two or more root spans (spans whose parent ID is empty or all
zeros). The earliest-starting root is taken as the trace's real root; the finding is attributed to
the **service of each other root** (one report per service and trace, whatever the number of extra
roots that service created in it). The subject is the service of the earliest root.

Several roots in one trace ID mean a span was started with the trace ID but without its parent:
code that copies the trace ID but not the span ID when it hands work to a thread, queue or
background job, a custom propagator that drops the parent span ID, or instrumentation that
creates "root" spans on purpose for batch work. Tools then show disconnected trees and the
trace's duration and root service are wrong. Reported as a warning because the spans are all
there; the tree is just split.

**Fix.** In the service named, start the extra root's span as a child of the active span (pass
the context along to the thread, job or callback), or, for work that really is separate, start a
new trace and connect it with a span *link* instead of reusing the trace ID.
`.trim(),
    options: z.object({}),
  },
  create(context) {
    return {
      trace(trace) {
        const roots = trace.roots;
        if (roots.length < 2) return; // the usual trace: no copy of its roots made
        const first = roots[0]!;
        const reported = new Set<string>();
        for (const root of roots.slice(1)) {
          if (reported.has(root.service)) continue;
          reported.add(root.service);
          context.report({
            service: root.service,
            subject: first.service,
            message: `Trace has ${trace.roots.length} root spans: this service started a root span after the trace's first root (service ${first.service}) instead of continuing it.`,
            example: { traceId: trace.traceId, spanId: root.spanId, relatedSpanId: first.spanId },
          });
        }
      },
    };
  },
});
