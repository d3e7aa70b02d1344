// Pairs of traces that are really one request: a caller's unpropagated call and the new trace the
// callee started for it.
import {
  propagationAnalysis,
  PropagationOptionsSchema,
} from "../src/analysis/propagation/index";
import { MAX_EXAMPLES } from "../src/engine/findings";
import { defineRule } from "../src/engine/rule";

export default defineRule({
  meta: {
    id: "split-trace",
    severity: "warning",
    description: "Requests whose trace split in two at a service boundary: the callee started a new trace for the caller's call.",
    docs: `
One finding per caller→callee edge **A→B** with split traces, attributed to the **caller A**, subject
\`A→B\`. One occurrence is one split pair; \`traceCount\` is the number of distinct caller traces.
Each example gives both halves: the caller's trace and CLIENT/PRODUCER span, and (as the related
trace and span) the callee's root span.

A **split pair** is an unpropagated call from A to B (see \`propagation-gap\` for calls, target
resolution and propagation) for which a root SERVER span (HTTP) or root CONSUMER span (messaging)
of B without links (a root that links continued the context through the link), in another trace, starts inside the call's [start, end] window widened by
\`clockSkewToleranceMs\` (default 50 ms), with the same HTTP method and a compatible path when both
sides carry one: the call's \`url.full\`/\`url.path\` without query equals the callee's \`url.path\`,
or matches its \`http.route\` template. Calls are paired earliest first, each with the earliest
unpaired root, so each root pairs at most once.

A split pair proves the call reached B and B started a new trace: either A did not send the
context or B did not read it. The evidence: the example's evidence says whether B's root span carries
the remote-parent flag (unset means B's SDK saw no incoming context). Memory is bounded, so the pair count is a
lower bound on busy estates: per time bucket (\`bucketMs\`), the earliest \`maxPendingCallsPerBucket\`
unpropagated CLIENT calls per (caller, target) and the earliest \`maxRootsPerBucket\` roots per (service,
kind, \`http.route\` or method) take part in matching, and at most \`maxPendingCalls\` calls and
\`maxCandidateRoots\` roots in all (the earliest of each); see \`docs/propagation.md\`. Options configure the
analysis shared with \`propagation-gap\`: when both rules run, set the same options on both (a difference
is a configuration error).

**Fix.** As for \`propagation-gap\`: make A inject and B extract W3C trace context on this hop (or
link batch consumers to the producer span), and check proxies in between forward the headers.
`.trim(),
    options: PropagationOptionsSchema,
    optionsConfigure: "propagation",
  },
  create(context) {
    const analysis = context.analysis(propagationAnalysis, context.options);
    return {
      finish() {
        for (const edge of analysis.result.edges) {
          if (edge.splitTraces === 0) continue;
          const subject = `${edge.from}→${edge.to}`;
          const rootKind = edge.splits[0]!.root.kind === "consumer" ? "CONSUMER" : "SERVER";
          const message =
            `${subject}: ${edge.splitTraces} call(s) from ${edge.from} reached ${edge.to}, which started a new trace each time ` +
            `(a root ${rootKind} span of ${edge.to} began inside the call): each request is split across two traces.`;
          const base = { service: edge.from, subject, message, fix: FIX };
          edge.splits.slice(0, MAX_EXAMPLES).forEach((pair, i) => {
            const example = {
              traceId: pair.call.traceId,
              spanId: pair.call.spanId,
              relatedTraceId: pair.root.traceId,
              relatedSpanId: pair.root.spanId,
              evidence: FLAG_EVIDENCE[pair.root.remoteFlag],
            };
            if (i === 0) {
              context.report({
                ...base,
                occurrences: edge.splitTraces,
                traceCount: new Set(edge.splits.map((p) => p.call.traceId)).size,
                example,
              });
            } else {
              context.report({ ...base, occurrences: 0, traceCount: 0, example });
            }
          });
        }
      },
    };
  },
});

const FLAG_EVIDENCE = {
  local: "callee root span: remote-parent flag unset (no incoming context)",
  remote: "callee root span: remote-parent flag set but no parent (extractor lost it)",
  absent: "callee root span: remote-parent flag not recorded by its SDK",
} as const;

const FIX =
  "Make the caller inject and the callee extract W3C trace context on this hop (or link batch consumers to the producer span); check that proxies forward `traceparent`.";
