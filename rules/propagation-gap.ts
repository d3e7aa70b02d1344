// Caller→callee edges where some calls did not continue the trace, with the most likely culprit.
import { compareByStart } from "../src/analysis/propagation/facts";
import {
  coverageSection,
  culpritOf,
  formatPercent,
  propagationAnalysis,
  PropagationOptionsSchema,
} from "../src/analysis/propagation/index";
import { defineRule, type FindingExample } from "../src/engine/rule";
import { MAX_EXAMPLES } from "../src/engine/findings";

export default defineRule({
  meta: {
    id: "propagation-gap",
    severity: "error",
    description: "Caller→callee edges whose calls do not always continue the trace (context propagation coverage < 100 %).",
    docs: `
Computes context-propagation coverage per caller→callee edge and reports every edge below 100 %.
One finding per edge **A→B**, attributed to the **caller A**, subject \`A→B\`; one occurrence is
one unpropagated call; \`traceCount\` is the number of distinct traces holding them.

- **Call**: a CLIENT or PRODUCER span of service A whose target resolves to a service B ≠ A that
  emits spans somewhere in the audited data. Spans with \`db.system\`/\`db.system.name\` are never
  calls. CLIENT/PRODUCER spans whose target does not resolve (databases, external hosts, a queue
  never seen consumed) are not calls: the report's \`coverage\` section counts them as
  \`externalCalls\` of A.
- **Target resolution**, first match wins: (1) \`peer.service\` if it names a known service;
  (2) learned maps — the call's own SERVER/CONSUMER child, else its address looked up as
  \`host:port\` then \`host\` (learned whenever a CLIENT span's child is a SERVER span of B; the
  address is \`server.address[:server.port]\`, else the host of \`url.full\`, else
  \`net.peer.name[:net.peer.port]\`, else the host of \`http.url\`); for a PRODUCER, its
  \`messaging.destination.name\` (or \`messaging.destination\`) maps to every service whose CONSUMER
  spans are its children, link to it, or name that destination; (3) the host equals a service
  name, or, for a cluster-internal host, its first DNS label does
  (\`ledger.finance.svc.cluster.local\` → \`ledger\`; not \`api.stripe.com\` → \`api\`).
- A CLIENT span handing its call to a CLIENT span of another service (a sidecar proxy) is not a
  call of its own: the proxy's is.
- A CLIENT call that failed with no answer at all (status ERROR and no callee span, with no
  response status code — connection refused, DNS failure — or with one its client or sidecar made
  up: gRPC UNAVAILABLE, DEADLINE_EXCEEDED or CANCELLED, an Envoy response flag saying the upstream
  was never reached, such as \`UF\` or \`UH\`) reached no server and is not counted.
- **Propagated**: some SERVER/CONSUMER span of B has the call as parent, or a CONSUMER span of B
  (messaging) or a SERVER span of B (a public endpoint that starts a new trace and links to its
  caller, as Go otelhttp's \`WithPublicEndpoint\` does) links to it. A message is a call to every
  service consuming its destination: one consumer group continuing it as a child says nothing of
  another that links, lags or ignores the headers. **Edge coverage** = propagated calls / calls.
  Calls the audited data cannot judge are left out of the calls and counted as the edge's
  \`undecided\`: messages produced after B's last consumption in the data, or sent to a B whose
  links mostly lead to producer traces the audit did not sample, and calls past the state's caps to
  a B that continues context through links.
- **Bounds.** The analysis keeps at most 100 000 call aggregates, and of them at most 50 000 for
  calls known only by an address (no \`peer.service\`, no callee span: a client calling pod IPs
  directly makes one per pod). Past that budget such a call is counted only when its address was
  already learned as leading to a service or its host names a known service. Calls not counted at
  all are reported, never silently: the \`coverage\` section's \`callsNotCounted\`, a warning in
  the Markdown and HTML reports, and a note in every finding's message (an edge made only of such
  calls is missing, the counts of others may be low).

The message gives the coverage, the number of split traces (see \`split-trace\`) and the most likely
culprit. With split traces, B started a new trace although A's call reached it: when B continues
traces from other callers, A most likely did not inject context; when A propagates to other
services, B most likely did not extract it; B's root spans lacking the remote-parent flag confirm
that B's SDK saw no incoming context. Without split traces, B's span never arrived (B not
instrumented for those requests, not exporting, or sampling them out).

The report gains a \`coverage\` section (per service inbound/outbound/externalCalls, per edge
propagated/total/splitTraces/undecided), shown as tables in the Markdown report. Options configure the
analysis shared with \`split-trace\`: when both rules run, set the same options on both (a difference
is a configuration error).

**Fix.** Instrument A's HTTP client / producer so it injects \`traceparent\` (and \`tracestate\`)
or puts context in message headers; instrument B's server / consumer so it extracts it (or links
to it for batch consumers); make sure proxies and gateways between them forward the headers; use
the same propagator (W3C trace context) on both sides.
`.trim(),
    options: PropagationOptionsSchema,
    optionsConfigure: "propagation",
  },
  create(context) {
    const analysis = context.analysis(propagationAnalysis, context.options);
    return {
      finish() {
        const result = analysis.result;
        context.setSection("coverage", coverageSection(result));
        const notCounted =
          result.dropped.calls > 0
            ? ` Incomplete: ${result.dropped.calls} call(s) of the audit were not counted (the analysis' bounds were reached; see the coverage section), so edges may be missing and counts low.`
            : "";
        for (const edge of result.edges) {
          if (edge.propagated >= edge.total) continue;
          const culprit = culpritOf(edge, result);
          const subject = `${edge.from}→${edge.to}`;
          const message =
            `${subject}: ${edge.propagated} of ${edge.total} calls propagated (${formatPercent(edge.propagated, edge.total)} coverage), ` +
            `${edge.splitTraces} split trace(s). Most likely culprit: ${culprit.text}.` +
            notCounted;
          const pairedRoot = new Map(edge.splits.map((p) => [p.call, p.root]));
          // Calls proven by a split trace make the best examples; then the earliest.
          const calls = [...edge.unpropagated].sort(
            (x, y) => Number(pairedRoot.has(y)) - Number(pairedRoot.has(x)) || compareByStart(x, y),
          );
          const examples: FindingExample[] = calls.slice(0, MAX_EXAMPLES).map((call) => {
            const root = pairedRoot.get(call);
            return {
              traceId: call.traceId,
              spanId: call.spanId,
              ...(root ? { relatedTraceId: root.traceId, relatedSpanId: root.spanId } : {}),
            };
          });
          const base = { service: edge.from, subject, message, fix: FIX };
          context.report({
            ...base,
            occurrences: edge.total - edge.propagated,
            traceCount: new Set(edge.unpropagated.map((c) => c.traceId)).size,
            ...(examples[0] ? { example: examples[0] } : {}),
          });
          // Further examples add nothing to the counts.
          for (const example of examples.slice(1)) context.report({ ...base, occurrences: 0, traceCount: 0, example });
        }
      },
    };
  },
});

const FIX =
  "Make the caller inject W3C `traceparent`/`tracestate` (instrument its HTTP client or producer; put context in message headers) and the callee extract it (instrument its server or consumer; batch consumers link to the producer span); check that proxies forward the headers.";
