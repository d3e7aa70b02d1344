// Tempo's trace-by-ID JSON bodies, byte-for-byte in the shape gogo-jsonpb produces (tempo.md §1.4,
// §1.5, §2). Used by the Tempo-compatible test server and the fixture generator.
import type { Span } from "../model/span";
import { groupSpans } from "./group";
import { resourceSpansJson } from "./json-shape";

export interface TempoJsonOptions {
  /**
   * `v1`: `/api/traces/{id}` → `{"batches":[…]}`;
   * `v2`: `/api/v2/traces/{id}` → `{"trace":{"resourceSpans":[…]},"metrics":{…}}`;
   * `trace`: a bare `tempopb.Trace` → `{"resourceSpans":[…]}`.
   */
  envelope: "v1" | "v2" | "trace";
  /** v2 only: mark the response `"status":"PARTIAL"` with this message. */
  partialMessage?: string;
}

/**
 * Encodes spans as Tempo's API does. With no spans the trace is empty and jsonpb omits the empty
 * list: `{}` for `trace` and `v1` (Tempo answers v1 not-found with a 404 instead), and
 * `{"trace":{},"metrics":{}}` for v2 (Tempo's 200 "not found").
 */
export function encodeTempoJson(spans: readonly Span[], options: TempoJsonOptions): string {
  const resourceSpans = resourceSpansJson(groupSpans(spans), "tempo");
  const trace = resourceSpans.length ? { resourceSpans } : {};
  if (options.envelope === "trace") return JSON.stringify(trace);
  if (options.envelope === "v1") return JSON.stringify(resourceSpans.length ? { batches: resourceSpans } : {});
  const traceJson = JSON.stringify(trace);
  // inspectedBytes is what the querier read from storage; the trace's own size stands in for it.
  const metrics = resourceSpans.length ? { inspectedBytes: String(new TextEncoder().encode(traceJson).byteLength) } : {};
  const response: Record<string, unknown> = { trace, metrics };
  if (options.partialMessage !== undefined) {
    response.status = "PARTIAL";
    response.message = options.partialMessage;
  }
  return JSON.stringify(response);
}
