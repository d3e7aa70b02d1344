// Encoders from the canonical span model back to the wire formats tracelint reads.
export { encodeTempoJson, type TempoJsonOptions } from "./tempo-json";
export { encodeOtlpJson } from "./otlp-json";
export { encodeTracesDataProto, encodeTraceByIdResponseProto, type TraceByIdResponseOptions } from "./proto";
export { groupSpans, type ResourceGroup, type ScopeGroup } from "./group";
