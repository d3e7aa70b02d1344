// Trace-level columns shared by Tempo's vParquet4 and vParquet5 schemas, for the test block writers.
import type { Span } from "../../src/model/span";

export const hexBytes = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));

/** TraceID…RootSpanName as Tempo writes them (TraceIDText without leading zeros). */
export function traceLevelColumns(traceId: string, spans: readonly Span[]) {
  const start = spans.reduce((m, s) => (s.startTimeUnixNano < m ? s.startTimeUnixNano : m), spans[0]!.startTimeUnixNano);
  const end = spans.reduce((m, s) => (s.endTimeUnixNano > m ? s.endTimeUnixNano : m), 0n);
  const root = spans.find((s) => s.parentSpanId === "");
  return {
    TraceID: hexBytes(traceId),
    TraceIDText: traceId.replace(/^0+/, ""),
    StartTimeUnixNano: start,
    EndTimeUnixNano: end,
    DurationNano: end - start,
    RootServiceName: root?.service ?? "",
    RootSpanName: root?.name ?? "",
  };
}
