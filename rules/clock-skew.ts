// A SERVER span that starts before, or ends after, the CLIENT span that called it: the two hosts'
// clocks disagree (a server cannot receive a request before it is sent).
import { z } from "zod";
import { formatNanosAsMs, hasUsableTimestamps } from "../src/analysis/structure";
import { defineRule } from "../src/engine/rule";
import { SpanKind, StatusCode } from "../src/model/span";

const NANOS_PER_MS = 1_000_000;

export default defineRule({
  meta: {
    id: "clock-skew",
    severity: "warning",
    description: "SERVER spans that start before or end after their CLIENT parent.",
    docs: `
One occurrence is one SERVER span whose parent is a CLIENT span of the same trace and which
starts more than \`toleranceMs\` before the parent starts (category \`starts-before-client\`) or,
if not, ends more than \`toleranceMs\` after the parent ends (category \`ends-after-client\`). The
finding is attributed to the **SERVER (child) span's service**; the subject is the **CLIENT
(parent) span's service**, so each finding names one caller → callee pair.

Only SERVER children of CLIENT parents are checked: a CONSUMER may legitimately run long after
its producer, and spans connected by links have no timing contract. Spans with zero or inverted
timestamps are left to \`invalid-timestamps\`. The tolerance absorbs normal clock error and
instrumentation overhead. A SERVER span ending after a CLIENT parent whose status is ERROR is not
reported: the client gave up (a timeout, a cancelled request) while the server went on. Nor is
one that lasts longer than its CLIENT parent (by more than the tolerance): a clock offset moves both
ends of a span alike and cannot make it longer, so that is a client that stopped timing before the
response was complete (a streamed download read after the headers arrived, a websocket session),
not skew.

Skewed clocks make the server's work appear outside the call in every trace view, break
critical-path and latency-breakdown analysis, and confuse time-window queries.

**Fix.** Synchronise the clocks of the hosts (or containers' nodes) of both services with NTP or
chrony and monitor their offset; virtual machines resumed from suspend and IoT/mobile clients are
common culprits. If the client is a browser or mobile app whose clock cannot be trusted, correct
its timestamps at collection time.
`.trim(),
    options: z.object({
      /** Allowed disagreement, in milliseconds, before a span is reported. */
      toleranceMs: z.number().nonnegative().default(50).describe("Allowed disagreement between the two spans, in milliseconds."),
    }),
  },
  create(context) {
    const tolerance = BigInt(Math.round(context.options.toleranceMs * NANOS_PER_MS));
    return {
      trace(trace) {
        for (const span of trace.spans) {
          if (span.kind !== SpanKind.SERVER) continue;
          const parent = trace.parentOf(span);
          if (!parent || parent.kind !== SpanKind.CLIENT) continue;
          if (!hasUsableTimestamps(span) || !hasUsableTimestamps(parent)) continue;
          const early = parent.startTimeUnixNano - span.startTimeUnixNano;
          const late = span.endTimeUnixNano - parent.endTimeUnixNano;
          let skew: { category: string; relation: string } | undefined;
          if (early > tolerance) {
            skew = { category: "starts-before-client", relation: `starts ${formatNanosAsMs(early)} before its CLIENT parent starts` };
          } else if (late > tolerance && parent.status.code !== StatusCode.ERROR && late + early <= tolerance) {
            // A CLIENT that failed (a timeout, a cancelled request) stops waiting while its server
            // goes on: ending after it is expected then, not a sign of skewed clocks. Nor is a
            // SERVER span longer than its CLIENT (late + early is the difference in duration): an
            // offset moves both ends alike and cannot stretch a span, so that is a client that
            // stopped timing early — a streamed body, a websocket session — not skew.
            skew = { category: "ends-after-client", relation: `ends ${formatNanosAsMs(late)} after its CLIENT parent ends` };
          }
          if (!skew) continue;
          context.report({
            service: span.service,
            subject: parent.service,
            category: skew.category,
            message: `SERVER span ${skew.relation} in service ${parent.service} (tolerance ${context.options.toleranceMs} ms): the two hosts' clocks disagree.`,
            example: { traceId: trace.traceId, spanId: span.spanId, relatedSpanId: parent.spanId },
          });
        }
      },
    };
  },
});
