// Parent links that loop back (A → B → A): the spans have parents yet no path to a root.
import { z } from "zod";
import { findParentCycles } from "../src/analysis/structure";
import { defineRule } from "../src/engine/rule";

export default defineRule({
  meta: {
    id: "parent-cycle",
    severity: "error",
    description: "Traces whose parent links form a cycle.",
    docs: `
One occurrence is one trace in which following parent span IDs from some span comes back to a
span already visited, through two or more spans (a span that is its own parent is reported by
\`invalid-span-context\` as \`self-parent\`). A trace with several cycles still counts once; the
message gives the number of cycles and spans involved. The finding is attributed to the **service
of the earliest-starting span among all cycle members**, and the example is that span.

Cycle members have a parent in the trace, so they are not orphans, and a trace made only of a
cycle is not reported as \`missing-root\` either. Cycles are reported on partial traces too: every
link of a cycle is present in the returned spans, so truncation cannot have produced it.

Cycles come from span IDs reused across requests (a cached or static span context, an ID
generator reseeded to the same value) and from proxies or custom propagators that swap the parent
and child IDs. Tools that walk the tree loop or drop the spans.

**Fix.** Never store a span context beyond its request; let the SDK generate span IDs; check that
custom propagation code writes the *current* span's ID as the parent of the outgoing call.
`.trim(),
    options: z.object({}),
  },
  create(context) {
    return {
      trace(trace) {
        const cycles = findParentCycles(trace);
        const first = cycles[0]?.[0];
        if (!first) return;
        const spans = cycles.reduce((sum, cycle) => sum + cycle.length, 0);
        context.report({
          service: first.service,
          message: `Parent links form ${cycles.length === 1 ? "a cycle" : `${cycles.length} cycles`} through ${spans} spans; these spans have no path to a root.`,
          example: { traceId: trace.traceId, spanId: first.spanId },
        });
      },
    };
  },
});
