// Test helpers: decode inputs the way the pipeline does, group them into `Trace`s and run a chosen
// set of rules; plus a builder for *hand-written* OTLP/JSON, used only for defects the real SDK
// cannot produce (duplicate or zero IDs, cycles, bad timestamps).
import { builtinRules } from "../../rules/index";
import { Analyzer } from "../../src/engine/analyzer";
import { TraceAssembler } from "../../src/engine/assemble";
import { resolveConfig } from "../../src/engine/config";
import type { Finding } from "../../src/engine/findings";
import { decodeInput } from "../../src/decode/index";
import type { Trace } from "../../src/model/trace";

export interface TestInput {
  bytes: Uint8Array;
  /** Marks every trace of this input as partial, as a Tempo `status: PARTIAL` answer does. */
  partialReason?: string;
}

function asInputs(inputs: Uint8Array | TestInput | readonly TestInput[]): readonly TestInput[] {
  if (inputs instanceof Uint8Array) return [{ bytes: inputs }];
  return Array.isArray(inputs) ? inputs : [inputs as TestInput];
}

/** Decodes and groups inputs into complete traces (decoder errors fail the test). */
export async function buildTraces(inputs: Uint8Array | TestInput | readonly TestInput[]): Promise<Trace[]> {
  const assembler = new TraceAssembler();
  for (const [i, input] of asInputs(inputs).entries()) {
    const decoded = await decodeInput(input.bytes, { name: `input-${i}` });
    if (decoded.errors.length > 0) throw new Error(`decode errors: ${decoded.errors.join("; ")}`);
    assembler.add(decoded.spans, input.partialReason ?? decoded.partial?.reason);
  }
  return [...assembler.drain()];
}

/** Runs the named built-in rules (all built-in rules when omitted) with their default options. */
export async function findingsOf(
  inputs: Uint8Array | TestInput | readonly TestInput[],
  ruleIds?: readonly string[],
  settings: Record<string, unknown> = {},
): Promise<Finding[]> {
  const rules = ruleIds ? builtinRules.filter((r) => ruleIds.includes(r.meta.id)) : builtinRules;
  if (ruleIds && rules.length !== ruleIds.length) throw new Error(`unknown rule in ${ruleIds.join(", ")}`);
  const analyzer = new Analyzer(resolveConfig({ rules: settings }, rules));
  for (const trace of await buildTraces(inputs)) analyzer.addTrace(trace);
  return analyzer.finish(new Date(0)).findings;
}

export interface HandwrittenSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  /** OTLP integer kind (1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER). */
  kind?: number;
  /** OTLP span flags (0x100 = parent-is-remote known, 0x200 = parent is remote). */
  flags?: number;
  /** Milliseconds after 2026-01-01T00:00:00Z; `null` writes a literal 0 (the Unix epoch). */
  startMs: number | null;
  endMs: number | null;
}

const EPOCH_NANOS = BigInt(Date.UTC(2026, 0, 1)) * 1_000_000n;

function nanos(ms: number | null): string {
  return ms === null ? "0" : String(EPOCH_NANOS + BigInt(Math.round(ms * 1000)) * 1000n);
}

/** A hand-written OTLP/JSON ExportTraceServiceRequest: one resourceSpans per service, in order. */
export function handwrittenOtlpJson(spans: readonly HandwrittenSpan[]): Uint8Array {
  const services = [...new Set(spans.map((s) => s.service))];
  const body = {
    resourceSpans: services.map((service) => ({
      resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: "handwritten" },
          spans: spans
            .filter((s) => s.service === service)
            .map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? "",
              name: "op",
              kind: s.kind ?? 1,
              ...(s.flags !== undefined ? { flags: s.flags } : {}),
              startTimeUnixNano: nanos(s.startMs),
              endTimeUnixNano: nanos(s.endMs),
              status: {},
            })),
        },
      ],
    })),
  };
  return new TextEncoder().encode(JSON.stringify(body));
}
