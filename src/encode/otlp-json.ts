// OTLP/JSON ExportTraceServiceRequest, as the collector (and awss3exporter `otlp_json`) writes it:
// hex IDs, integer enums, 64-bit integers as decimal strings.
import type { Span } from "../model/span";
import { groupSpans } from "./group";
import { resourceSpansJson } from "./json-shape";

export function encodeOtlpJson(spans: readonly Span[]): string {
  return JSON.stringify({ resourceSpans: resourceSpansJson(groupSpans(spans), "otlp") });
}
