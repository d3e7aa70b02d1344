// Two spans of one trace with the same span ID: parent links to that ID become ambiguous.
import { z } from "zod";
import { defineRule } from "../src/engine/rule";
import { isAllZeroId } from "../src/model/ids";
import { SPAN_KIND_NAMES, SpanKind, type Span } from "../src/model/span";

/** Zipkin B3 "shared span" style: the client and the server of one RPC record the same span ID. */
function isSharedClientServer(first: Span, repeat: Span): boolean {
  const kinds = new Set([first.kind, repeat.kind]);
  return kinds.has(SpanKind.CLIENT) && kinds.has(SpanKind.SERVER);
}

export default defineRule({
  meta: {
    id: "duplicate-span-id",
    severity: "error",
    description: "Spans whose span ID repeats another span of the same trace.",
    docs: `
One occurrence is one span whose span ID equals that of a span of the same trace that starts
earlier (at equal start times, the one earlier in the input). The first span with the ID is not
counted; each repeat is. The finding is attributed to the **repeating span's service**; the
subject is the service of the first span with that ID. Empty and all-zero span IDs are left to
\`invalid-span-context\`.

Categories: \`shared-client-server-id\` when one of the pair is CLIENT and the other SERVER (the
Zipkin/B3 "shared span" model, where a server reuses its caller's span ID), otherwise
\`repeated-span-id\` (an ID generator without enough randomness, e.g. seeded identically in forked
workers, or the same span exported twice with different content).

\`exact-copy\` (severity **info**): a span identical to another one of the trace in everything it
records (IDs, name, kind, times, status, attributes, events, links). That is the same export sent
or read twice (a Collector retry after a timeout, overlapping uploads, one file under two names),
not an instrumentation defect, and Tempo drops such copies at query time. tracelint analyses one
copy, so copies do not double the other rules' counts or make a second root; one occurrence is
one dropped copy.

Parent links to a duplicated ID are ambiguous: tracelint resolves them to the earliest span, other
tools may pick another, so trees and durations differ between tools.

Note: Tempo's query API already drops spans that repeat both the ID *and* the kind of another span
(it deduplicates across shards), and it rewrites the IDs of Zipkin-style shared server spans, so
traces fetched through \`/api/traces\` show fewer duplicates than the stored blocks hold. Audit the
blocks (Parquet) to see them all.

**Fix.** Use the SDK's default random ID generator (and reseed after \`fork\`); for Zipkin/B3, turn
off shared spans (\`supportsJoin=false\` in Brave, or B3 multi-header propagation with a new span
ID per server span) so that every span has its own ID; make exporters idempotent rather than
re-sending modified copies of a span.
`.trim(),
    options: z.object({}),
  },
  create(context) {
    return {
      trace(trace) {
        for (const copy of trace.exactCopies) {
          context.report({
            service: copy.service,
            subject: copy.service,
            category: "exact-copy",
            severity: "info",
            message:
              "A span is an exact copy of another span of the trace (same ID and content): the same export was sent or read twice (a Collector retry, overlapping uploads, one file under two names). One copy was analysed; Tempo drops such copies at query time.",
            example: { traceId: trace.traceId, spanId: copy.spanId },
          });
        }
        // Every span ID distinct (the usual case): nothing to report, no need to sort the trace.
        if (trace.spanById.size === trace.spans.length) return;
        const firstById = new Map<string, Span>();
        for (const span of trace.spansByStart) {
          if (isAllZeroId(span.spanId)) continue;
          const first = firstById.get(span.spanId);
          if (!first) {
            firstById.set(span.spanId, span);
            continue;
          }
          const shared = isSharedClientServer(first, span);
          context.report({
            service: span.service,
            subject: first.service,
            category: shared ? "shared-client-server-id" : "repeated-span-id",
            message: shared
              ? `A ${SPAN_KIND_NAMES[span.kind]} span reuses the span ID of its ${SPAN_KIND_NAMES[first.kind]} counterpart in service ${first.service} (Zipkin-style shared span); parent links to that ID are ambiguous.`
              : `A span repeats the span ID of an earlier span of the same trace (service ${first.service}); parent links to that ID are ambiguous.`,
            example: { traceId: trace.traceId, spanId: span.spanId },
          });
        }
      },
    };
  },
});
