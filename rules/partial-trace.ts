// Traces the source returned only in part. Structural "missing span" claims are not made on them.
import { z } from "zod";
import { traceOwner } from "../src/analysis/structure";
import { defineRule } from "../src/engine/rule";
import { UNKNOWN_SERVICE } from "../src/model/span";
import { redactText } from "../src/pii/redact";
import { clip } from "../src/util/clip";

/** Groups reasons into stable categories; the message keeps the source's own words. */
function reasonCategory(reason: string): string {
  if (/exceeds? (the )?maximum size|too large|max_bytes/i.test(reason)) return "size-limit";
  if (/filter/i.test(reason)) return "filtered";
  return "other";
}

export default defineRule({
  meta: {
    id: "partial-trace",
    severity: "info",
    description: "Traces the source returned only in part (e.g. Tempo's size limit).",
    docs: `
One occurrence is one trace that its source marked as incomplete, for example a Tempo
\`/api/v2/traces\` answer with \`"status": "PARTIAL"\` because the trace is larger than
\`max_bytes_per_trace\` (5 MB by default), or a response filtered to matching spans. The finding is
attributed to the **service of the earliest root span**, or of the earliest-starting span when the
trace has no root, and the message carries the source's reason. Categories: \`size-limit\`,
\`filtered\`, \`other\`.

On these traces \`orphan-span\` and \`missing-root\` say nothing, because a parent that is not in the
answer may simply not have been returned; the other rules still run on the spans that were
returned. Tracelint reports this at info level: it is a limit of what could be checked, not a
defect in the instrumentation.

**Fix.** For \`size-limit\`, find why the trace is so large (a loop that creates a span per item,
a very long-running request) and cap it in instrumentation, or raise \`max_bytes_per_trace\`
for the tenant if such traces are expected; read the blocks directly to audit the whole trace.
For \`filtered\`, fetch the trace without a query filter.
`.trim(),
    options: z.object({}),
  },
  create(context) {
    return {
      trace(trace) {
        if (!trace.partial) return;
        const owner = traceOwner(trace);
        // The source's own words (Tempo's message), masked and kept short: they are quoted as is.
        const reason = trace.partialReason !== undefined ? clip(redactText(trace.partialReason), 200) : "the source returned only part of the trace";
        context.report({
          service: owner?.service ?? UNKNOWN_SERVICE,
          category: reasonCategory(reason),
          message: `Trace was returned only in part (${reason}); missing-span checks were skipped for it.`,
          example: { traceId: trace.traceId, spanId: owner?.spanId ?? null },
        });
      },
    };
  },
});
