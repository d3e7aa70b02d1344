import { z } from "zod";
import { defineRule } from "../src/engine/rule";
import { intAttribute, SpanKind, StatusCode, type Span } from "../src/model/span";
import { redactText } from "../src/pii/redact";

const STATUS_KEYS = ["http.response.status_code", "http.status_code"] as const;
const STATUS_NAMES = ["UNSET", "OK", "ERROR"] as const;

/** The HTTP status key and code of a span that should have status ERROR but does not. */
function mismatchOf(span: Span): { key: string; code: number; category: "server-5xx" | "client-4xx" } | undefined {
  if (span.status.code === StatusCode.ERROR) return undefined;
  if (span.kind !== SpanKind.SERVER && span.kind !== SpanKind.CLIENT) return undefined;
  for (const key of STATUS_KEYS) {
    const code = intAttribute(span.attributes, key);
    if (code === undefined) continue;
    if (span.kind === SpanKind.SERVER && code >= 500) return { key, code, category: "server-5xx" };
    if (span.kind === SpanKind.CLIENT && code >= 400) return { key, code, category: "client-4xx" };
    return undefined;
  }
  return undefined;
}

export default defineRule({
  meta: {
    id: "error-status-mismatch",
    severity: "warning",
    description: "HTTP SERVER spans with status ≥ 500 or CLIENT spans with ≥ 400 whose span status is not ERROR.",
    docs: `Counts SERVER spans whose \`http.response.status_code\` (older: \`http.status_code\`) is ≥ 500 and CLIENT spans whose
status code is ≥ 400, when the span status is not ERROR (UNSET or OK). One occurrence = one span; one finding per
(service, status key, category \`server-5xx\` | \`client-4xx\`); service = the span's. Semantic conventions require
ERROR here, and error rates, RED dashboards and tail sampling by error all read the span status, so these failures
are invisible. (A SERVER 4xx is the client's fault and stays UNSET by convention, so it is not counted.)

Fix: update the HTTP instrumentation (older versions of several libraries miss this), or set the status where the
response is produced: \`span.setStatus({ code: SpanStatusCode.ERROR })\`. The evidence names the instrumentation
scope that produced the span.`,
    options: z.object({}).strict(),
  },
  create(context) {
    return {
      trace(trace) {
        for (const span of trace.spans) {
          const m = mismatchOf(span);
          if (!m) continue;
          const kind = span.kind === SpanKind.SERVER ? "SERVER" : "CLIENT";
          context.report({
            service: span.service,
            subject: m.key,
            category: m.category,
            message: `${kind} spans with HTTP status ${m.category === "server-5xx" ? "≥ 500" : "≥ 400"} do not have span status ERROR.`,
            example: {
              traceId: span.traceId,
              spanId: span.spanId,
              evidence: `${kind} span, HTTP ${m.code}, status ${STATUS_NAMES[span.status.code]}, scope ${redactText(span.scope.name) || "(none)"}`,
            },
            fix: "Upgrade the HTTP instrumentation named in the evidence, or set `span.setStatus({ code: SpanStatusCode.ERROR })` when the response fails.",
          });
        }
      },
    };
  },
});
