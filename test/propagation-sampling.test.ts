import { describe, expect, it } from "vitest";
import { sampledOutCaller } from "../fixtures/scenarios/propagation/sampling";
import { parseOtTraceState, thresholdPercent, traceRandomness } from "../src/analysis/sampling";
import { findingsOf } from "./support/build-trace";

interface OtlpJsonSpan {
  spanId: string;
  flags?: number;
  traceState?: string;
}

/** Applies a named edit to the SDK's OTLP/JSON (for producer behaviours the JS SDK cannot show). */
function editSpans(bytes: Uint8Array, edit: (span: OtlpJsonSpan) => void): Uint8Array {
  const body = JSON.parse(new TextDecoder().decode(bytes));
  for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) for (const span of ss.spans) edit(span);
  return new TextEncoder().encode(JSON.stringify(body));
}

describe("orphan cause: dropped by sampling", () => {
  const scenario = sampledOutCaller();

  it("the SDK scenario really drops the middle service and keeps its callee", async () => {
    const body = JSON.parse(new TextDecoder().decode(scenario.otlpJson));
    const services = body.resourceSpans.map((rs: { resource: { attributes: { value: { stringValue: string } }[] } }) => rs.resource.attributes[0]!.value.stringValue);
    expect(services.sort()).toEqual(["gateway", "payments"]);
  });

  it("says 'dropped by sampling' when the root carries ot=th and the orphan's context lost it (real consistent sampler)", async () => {
    const findings = await findingsOf(scenario.otlpJson, ["orphan-span"]);
    expect(findings.map((f) => [f.ruleId, f.service, f.category, f.occurrences, f.traceCount])).toEqual([
      ["orphan-span", "payments", "dropped-by-sampling", 1, 1],
    ]);
    expect(findings[0]!.message).toBe(
      "Orphan span: its parent (the caller's span) was dropped by sampling, not lost in transit: the trace's root was sampled with ot=th:0 (100 %) " +
        "but the context reaching this span no longer carries a threshold: a service in between decided not to sample (consistent samplers erase th). " +
        "The caller and this service sample differently",
    );
    expect(findings[0]!.examples[0]!.spanId).toBe(scenario.orphanSpanId);
  });

  it("reads a rejecting ot=th threshold on the orphan (edit: orphan's tracestate set to ot=th:fffffffffffff)", async () => {
    const bytes = editSpans(scenario.otlpJson, (s) => {
      if (s.spanId === scenario.orphanSpanId) s.traceState = "ot=th:fffffffffffff";
    });
    const [finding] = await findingsOf(bytes, ["orphan-span"]);
    expect(finding!.category).toBe("dropped-by-sampling");
    expect(finding!.message).toContain("its tracestate threshold ot=th:fffffffffffff (");
    expect(finding!.message).toContain("rejects this trace's randomness");
  });

  it("reads the W3C sampled flag (edit: orphan exported with flags 0x100, i.e. recorded but unsampled)", async () => {
    const bytes = editSpans(scenario.otlpJson, (s) => {
      if (s.spanId === scenario.orphanSpanId) s.flags = 0x100;
    });
    const [finding] = await findingsOf(bytes, ["orphan-span"]);
    expect(finding!.category).toBe("dropped-by-sampling");
    expect(finding!.message).toContain("its parent context arrived with the W3C sampled flag off while the rest of the trace was sampled");
  });

  it("keeps 'caller span missing' when no sampling evidence exists (edit: every tracestate removed)", async () => {
    const bytes = editSpans(scenario.otlpJson, (s) => {
      delete s.traceState;
    });
    const [finding] = await findingsOf(bytes, ["orphan-span"]);
    expect(finding!.category).toBe("caller-span-missing");
  });
});

describe("tracestate sampling values", () => {
  it("parses ot=th and rv among other vendors' members", () => {
    expect(parseOtTraceState("vendor=x,ot=th:c;rv:0123456789abcd,other=y")).toEqual({
      th: "c",
      threshold: 0xc0000000000000n,
      randomness: 0x0123456789abcdn,
    });
    expect(parseOtTraceState("ot=th:zz")).toEqual({});
    expect(parseOtTraceState("")).toEqual({});
  });

  it("takes randomness from rv, else the trace ID's last 56 bits", () => {
    expect(traceRandomness("0af7651916cd43dd8448eb211c80319c", {})).toBe(0x48eb211c80319cn);
    expect(traceRandomness("0af7651916cd43dd8448eb211c80319c", { randomness: 5n })).toBe(5n);
  });

  it("turns thresholds into sampling percentages", () => {
    expect(thresholdPercent(0n)).toBe("100 %");
    expect(thresholdPercent(0x80000000000000n)).toBe("50 %");
    expect(thresholdPercent(0xc0000000000000n)).toBe("25 %");
  });
});
