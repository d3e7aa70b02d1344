import { z } from "zod";
import { defineRule } from "../src/engine/rule";
import { UNKNOWN_SERVICE, type Resource, type Span } from "../src/model/span";
import { redactText } from "../src/pii/redact";

/** The service as the resource states it, and why it is not a usable name (or undefined). */
function problemOf(span: Span): { service: string; category: "missing" | "unknown-service" } | undefined {
  const value = span.resource.attributes.get("service.name");
  if (typeof value !== "string" || value === "") return { service: UNKNOWN_SERVICE, category: "missing" };
  // SDK fallback `unknown_service` or `unknown_service:<process>` when OTEL_SERVICE_NAME is not set.
  // The span's own service: the same name, masked like every quoted service name (src/model/span.ts).
  if (value.startsWith(UNKNOWN_SERVICE)) return { service: span.service, category: "unknown-service" };
  return undefined;
}

export default defineRule({
  meta: {
    id: "missing-service-name",
    severity: "error",
    description: "Resource without service.name, or with the SDK fallback unknown_service[:process].",
    docs: `Counts spans whose resource has no string \`service.name\` (category \`missing\`) or whose \`service.name\`
starts with \`unknown_service\` (category \`unknown-service\`: the SDK's fallback such as \`unknown_service:node\`).
One occurrence = one span. Service = the value as seen (\`unknown_service:node\`; personal data in it masked, as in
every service name), or \`unknown_service\` when absent.
Without a service name no per-service view, alert or score can say whom a span belongs to (Instrumentation
Score RES-005, Critical).

Fix: set \`OTEL_SERVICE_NAME\` (or \`service.name\` in \`OTEL_RESOURCE_ATTRIBUTES\`, or the SDK's resource) in
every process; in the Collector, a \`resource\` processor can insert a fallback while the SDKs are fixed.`,
    options: z.object({}).strict(),
  },
  create(context) {
    return {
      trace(trace) {
        // Aggregate per (service, category) within the trace: one report with the span count.
        // Created on the first problem: almost every trace has none.
        let groups: Map<string, { service: string; category: string; count: number; first: Span }> | undefined;
        // The problem depends on the resource only, and neighbouring spans share theirs.
        let resource: Resource | undefined;
        let problem: ReturnType<typeof problemOf>;
        for (const span of trace.spans) {
          if (span.resource !== resource) {
            resource = span.resource;
            problem = problemOf(span);
          }
          if (!problem) continue;
          const key = `${problem.category}\u0000${problem.service}`;
          groups ??= new Map();
          const group = groups.get(key);
          if (group) group.count++;
          else groups.set(key, { ...problem, count: 1, first: span });
        }
        if (groups === undefined) return;
        for (const g of groups.values()) {
          context.report({
            service: g.service,
            subject: "service.name",
            category: g.category,
            message:
              g.category === "missing"
                ? "Spans come from a resource without `service.name`; set OTEL_SERVICE_NAME in this process."
                : `Spans carry the SDK fallback service name \`${g.service}\`; set OTEL_SERVICE_NAME in this process.`,
            occurrences: g.count,
            example: { traceId: trace.traceId, spanId: g.first.spanId, evidence: `scope ${redactText(g.first.scope.name) || "(none)"}` },
            fix: "Set `OTEL_SERVICE_NAME=<service>` (or `OTEL_RESOURCE_ATTRIBUTES=service.name=<service>`) in the process environment, or pass a resource with `service.name` to the SDK.",
          });
        }
      },
    };
  },
});
