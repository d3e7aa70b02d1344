// A Tempo-compatible query server for tests and the demo (runtime-neutral; see src/cli/tempo-server.ts for Node).
export { createTempoServer, type RecordedRequest, type TempoServer, type TempoServerOptions } from "./app";
export { FaultPlan, type Fault, type FaultRule, type RouteName } from "./faults";
export { deltaToEndAt, shiftSpans, TraceStore, ROOT_NOT_RECEIVED, type StoredTrace } from "./store";
export { parseTraceQL, spanMatches, TraceQLParseError, type SpanFilter } from "./traceql";
