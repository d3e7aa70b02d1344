// A trace in which every span has a parent: the root (usually the edge's span) never arrived.
import { z } from "zod";
import { defineRule } from "../src/engine/rule";

/** Parent IDs named in the message; more are summarised as a count. */
const MAX_NAMED_PARENTS = 3;

export default defineRule({
  meta: {
    id: "missing-root",
    severity: "error",
    description: "Traces without a root span: every span points to a parent.",
    docs: `
One occurrence is one trace that has no root span (no span with an empty or all-zero parent ID)
while at least one of its spans points to a parent that is not in the trace (a "top span"). The
finding is attributed to the **service of the trace's earliest-starting span** (the first service
that did report), and the message names the absent parent span ID(s) that the top spans point to.
Those top spans are not reported again as \`orphan-span\`.

The usual cause is an upstream hop that propagates \`traceparent\` but does not export its own span:
an edge proxy, ingress controller, API gateway, load balancer or browser/mobile client that is
configured to forward or create trace context without a configured exporter, or whose sampler
drops its span while the sampled flag still travels downstream. Tempo shows such traces in search
as \`<root span not yet received>\`.

Not reported: traces returned only in part (\`partial-trace\`), where the root may simply not have
been returned, and traces whose spans only point at each other (see \`parent-cycle\`).

**Fix.** Instrument and export the edge: enable tracing with an exporter on the proxy or ingress,
or the client SDK; if that hop must stay untraced, make it *not* forward \`traceparent\` (or start a
new trace at the first instrumented service) so that the first service's SERVER span becomes the
root.
`.trim(),
    options: z.object({}),
  },
  create(context) {
    return {
      trace(trace) {
        if (trace.partial || trace.roots.length > 0 || trace.topSpans.length === 0) return;
        const owner = trace.earliestSpan!;
        const absent = [...new Set(trace.topSpans.map((s) => s.parentSpanId))];
        const named = absent.slice(0, MAX_NAMED_PARENTS).join(", ");
        const more = absent.length > MAX_NAMED_PARENTS ? ` and ${absent.length - MAX_NAMED_PARENTS} more` : "";
        context.report({
          service: owner.service,
          message:
            `Trace has no root span: its top span(s) point to absent parent span ID(s) ${named}${more}. ` +
            "Usually an upstream hop (edge proxy, ingress, gateway, client) propagates traceparent but does not export its span.",
          example: { traceId: trace.traceId, spanId: trace.topSpans[0]!.spanId },
        });
      },
    };
  },
});
