// Structure defects the OpenTelemetry SDK cannot produce (duplicate, zero or malformed IDs, parent
// cycles, bad timestamps, extra roots under one trace ID). Every input here is HAND-WRITTEN
// OTLP/JSON, built by `handwrittenOtlpJson`, kept tiny and decoded by the real decoder.
import { describe, expect, it } from "vitest";
import { classifyByKind, classifyOrphan, type OrphanClassifier } from "../src/analysis/orphan-cause";
import { buildTraces, findingsOf, handwrittenOtlpJson, type HandwrittenSpan } from "./support/build-trace";

const T1 = "4bf92f3577b34da6a3ce929d0e0e4736";
const T2 = "0af7651916cd43dd8448eb211c80319c";
const SERVER = 2;
const CLIENT = 3;
const INTERNAL = 1;
const PRODUCER = 4;

function summary(findings: Awaited<ReturnType<typeof findingsOf>>) {
  return findings.map((f) => [f.ruleId, f.service, f.subject, f.category, f.occurrences, f.traceCount, f.examples.map((e) => e.spanId)]);
}

describe("duplicate-span-id (hand-written)", () => {
  const spans: HandwrittenSpan[] = [
    // Listed first, so "billing" wins the start-time tie below.
    { service: "billing", traceId: T1, spanId: "d0000000000000d1", parentSpanId: "a0000000000000a1", kind: INTERNAL, startMs: 5, endMs: 6 },
    { service: "gateway", traceId: T1, spanId: "a0000000000000a1", kind: SERVER, startMs: 0, endMs: 10 },
    { service: "gateway", traceId: T1, spanId: "a0000000000000a2", parentSpanId: "a0000000000000a1", kind: CLIENT, startMs: 1, endMs: 9 },
    // Zipkin-style shared span: the server reuses the client's ID (and parent).
    { service: "orders", traceId: T1, spanId: "a0000000000000a2", parentSpanId: "a0000000000000a1", kind: SERVER, startMs: 2, endMs: 8 },
    // Listed before its earlier-starting twin: start time, not input order, picks the first.
    { service: "orders", traceId: T1, spanId: "b0000000000000b1", parentSpanId: "a0000000000000a2", kind: INTERNAL, startMs: 4, endMs: 5 },
    { service: "orders", traceId: T1, spanId: "b0000000000000b1", parentSpanId: "a0000000000000a2", kind: INTERNAL, startMs: 3, endMs: 4 },
    { service: "audit", traceId: T1, spanId: "d0000000000000d1", parentSpanId: "a0000000000000a1", kind: PRODUCER, startMs: 5, endMs: 6 },
    // All-zero IDs repeat too, but they are invalid-span-context's business.
    { service: "legacy", traceId: T1, spanId: "0000000000000000", parentSpanId: "a0000000000000a1", startMs: 6, endMs: 7 },
    { service: "legacy", traceId: T1, spanId: "0000000000000000", parentSpanId: "a0000000000000a1", startMs: 7, endMs: 8 },
  ];

  it("counts each repeat of an earlier-starting span's ID, attributed to the repeating span's service", async () => {
    const findings = await findingsOf(handwrittenOtlpJson(spans), ["duplicate-span-id"]);
    expect(summary(findings)).toEqual([
      ["duplicate-span-id", "audit", "billing", "repeated-span-id", 1, 1, ["d0000000000000d1"]],
      ["duplicate-span-id", "orders", "gateway", "shared-client-server-id", 1, 1, ["a0000000000000a2"]],
      ["duplicate-span-id", "orders", "orders", "repeated-span-id", 1, 1, ["b0000000000000b1"]],
    ]);
    expect(findings[1]!.message).toBe(
      "A SERVER span reuses the span ID of its CLIENT counterpart in service gateway (Zipkin-style shared span); parent links to that ID are ambiguous.",
    );
  });

  it("leaves repeated all-zero span IDs to invalid-span-context", async () => {
    const findings = await findingsOf(handwrittenOtlpJson(spans), ["invalid-span-context"]);
    expect(summary(findings)).toEqual([["invalid-span-context", "legacy", null, "zero-span-id", 2, 1, ["0000000000000000"]]]);
  });
});

describe("invalid-span-context (hand-written)", () => {
  const ROOT = "c0000000000000c1";
  const spans: HandwrittenSpan[] = [
    { service: "legacy", traceId: "00000000000000000000000000000000", spanId: "e0000000000000e1", kind: SERVER, startMs: 0, endMs: 1 },
    { service: "bridge", traceId: "0123456789abcdef0123456789abcdef0123456789abcdef", spanId: "e0000000000000e2", kind: SERVER, startMs: 0, endMs: 1 },
    { service: "api", traceId: T2, spanId: ROOT, kind: SERVER, startMs: 0, endMs: 10 },
    { service: "api", traceId: T2, spanId: "0123456789abcdef0123", parentSpanId: ROOT, startMs: 1, endMs: 2 },
    { service: "api", traceId: T2, spanId: "", parentSpanId: ROOT, startMs: 1, endMs: 2 },
    { service: "api", traceId: T2, spanId: "c0000000000000c4", parentSpanId: "0000000000000000", startMs: 1, endMs: 2 },
    { service: "api", traceId: T2, spanId: "c0000000000000c5", parentSpanId: "abcdefabcdefabcdefab", kind: 0, startMs: 1, endMs: 2 },
    { service: "worker", traceId: T2, spanId: "c0000000000000c6", parentSpanId: "c0000000000000c6", startMs: 1, endMs: 2 },
  ];

  it("reports each problem once per span, in its own category", async () => {
    const findings = await findingsOf(handwrittenOtlpJson(spans), ["invalid-span-context"]);
    expect(summary(findings)).toEqual([
      ["invalid-span-context", "api", null, "malformed-parent-id", 1, 1, ["c0000000000000c5"]],
      ["invalid-span-context", "api", null, "malformed-span-id", 1, 1, ["0123456789abcdef0123"]],
      ["invalid-span-context", "api", null, "zero-parent-id", 1, 1, ["c0000000000000c4"]],
      ["invalid-span-context", "api", null, "zero-span-id", 1, 1, [""]],
      ["invalid-span-context", "bridge", null, "malformed-trace-id", 1, 1, ["e0000000000000e2"]],
      ["invalid-span-context", "legacy", null, "zero-trace-id", 1, 1, ["e0000000000000e1"]],
      ["invalid-span-context", "worker", null, "self-parent", 1, 1, ["c0000000000000c6"]],
    ]);
    expect(findings.every((f) => f.severity === "error")).toBe(true);
  });

  it("treats an all-zero parent as a root (multiple-roots), a self-parent as neither orphan nor cycle", async () => {
    const findings = await findingsOf(handwrittenOtlpJson(spans), ["parent-cycle", "orphan-span", "multiple-roots"]);
    // The malformed parent ID names no span, so that span is an orphan (of unspecified kind and
    // without a remote flag, so of unknown cause); the self-parent is not.
    expect(summary(findings)).toEqual([
      ["orphan-span", "api", null, "parent-span-missing", 1, 1, ["c0000000000000c5"]],
      ["multiple-roots", "api", "api", null, 1, 1, ["c0000000000000c4"]],
    ]);
  });
});

describe("parent-cycle (hand-written)", () => {
  const withRoot: HandwrittenSpan[] = [
    { service: "gateway", traceId: T1, spanId: "f0000000000000f1", kind: SERVER, startMs: 0, endMs: 10 },
    { service: "orders", traceId: T1, spanId: "f0000000000000a1", parentSpanId: "f0000000000000b1", startMs: 5, endMs: 6 },
    { service: "payments", traceId: T1, spanId: "f0000000000000b1", parentSpanId: "f0000000000000a1", startMs: 3, endMs: 7 },
    { service: "orders", traceId: T1, spanId: "f0000000000000c1", parentSpanId: "f0000000000000a1", startMs: 5.5, endMs: 5.8 },
  ];
  const onlyCycles: HandwrittenSpan[] = [
    { service: "x", traceId: T2, spanId: "1000000000000001", parentSpanId: "1000000000000003", startMs: 4, endMs: 5 },
    { service: "y", traceId: T2, spanId: "1000000000000002", parentSpanId: "1000000000000001", startMs: 2, endMs: 5 },
    { service: "z", traceId: T2, spanId: "1000000000000003", parentSpanId: "1000000000000002", startMs: 3, endMs: 5 },
    { service: "p", traceId: T2, spanId: "2000000000000001", parentSpanId: "2000000000000002", startMs: 1, endMs: 5 },
    { service: "q", traceId: T2, spanId: "2000000000000002", parentSpanId: "2000000000000001", startMs: 6, endMs: 7 },
  ];
  const rules = ["parent-cycle", "orphan-span", "missing-root", "partial-trace"];

  it("reports one occurrence per trace, attributed to the cycle's earliest-starting span; members are not orphans", async () => {
    const findings = await findingsOf(handwrittenOtlpJson(withRoot), rules);
    expect(summary(findings)).toEqual([["parent-cycle", "payments", null, null, 1, 1, ["f0000000000000b1"]]]);
    expect(findings[0]!.message).toBe("Parent links form a cycle through 2 spans; these spans have no path to a root.");
  });

  it("counts several cycles in one trace once, and does not call a cycle-only trace rootless", async () => {
    const findings = await findingsOf(handwrittenOtlpJson(onlyCycles), rules);
    expect(summary(findings)).toEqual([["parent-cycle", "p", null, null, 1, 1, ["2000000000000001"]]]);
    expect(findings[0]!.message).toBe("Parent links form 2 cycles through 5 spans; these spans have no path to a root.");
  });

  it("still reports a cycle on a partial trace (every link of it was returned)", async () => {
    const findings = await findingsOf({ bytes: handwrittenOtlpJson(withRoot), partialReason: "Trace exceeds maximum size" }, rules);
    expect(findings.map((f) => [f.ruleId, f.service])).toEqual([
      ["parent-cycle", "payments"],
      ["partial-trace", "gateway"],
    ]);
  });
});

describe("invalid-timestamps (hand-written)", () => {
  const spans: HandwrittenSpan[] = [
    { service: "web", traceId: T1, spanId: "3000000000000001", kind: SERVER, startMs: 0, endMs: 100 },
    { service: "web", traceId: T1, spanId: "3000000000000002", parentSpanId: "3000000000000001", startMs: null, endMs: 5 },
    { service: "web", traceId: T1, spanId: "3000000000000003", parentSpanId: "3000000000000001", startMs: 5, endMs: null },
    { service: "web", traceId: T1, spanId: "3000000000000004", parentSpanId: "3000000000000001", startMs: null, endMs: null },
    { service: "web", traceId: T1, spanId: "3000000000000005", parentSpanId: "3000000000000001", startMs: 9, endMs: 8.5 },
    { service: "web", traceId: T1, spanId: "3000000000000006", parentSpanId: "3000000000000001", kind: CLIENT, startMs: 200, endMs: 300 },
    // Starts 150 ms before its CLIENT parent but was never ended: a timestamp problem, not clock skew.
    { service: "search", traceId: T1, spanId: "3000000000000007", parentSpanId: "3000000000000006", kind: SERVER, startMs: 50, endMs: null },
  ];

  it("reports zero starts, zero ends and inverted spans per span, and keeps them out of clock-skew", async () => {
    const findings = await findingsOf(handwrittenOtlpJson(spans), ["invalid-timestamps", "clock-skew"]);
    expect(summary(findings)).toEqual([
      ["invalid-timestamps", "search", null, "zero-end-time", 1, 1, ["3000000000000007"]],
      ["invalid-timestamps", "web", null, "end-before-start", 1, 1, ["3000000000000005"]],
      ["invalid-timestamps", "web", null, "zero-end-time", 2, 1, ["3000000000000003", "3000000000000004"]],
      ["invalid-timestamps", "web", null, "zero-start-time", 2, 1, ["3000000000000002", "3000000000000004"]],
    ]);
    expect(findings[1]!.message).toContain("ends before it starts");
  });
});

describe("multiple-roots (hand-written)", () => {
  const extraRoots: HandwrittenSpan[] = [
    { service: "gateway", traceId: T1, spanId: "4000000000000001", kind: SERVER, startMs: 0, endMs: 10 },
    { service: "worker", traceId: T1, spanId: "4000000000000002", startMs: 5, endMs: 6 },
    { service: "worker", traceId: T1, spanId: "4000000000000003", startMs: 6, endMs: 7 },
    { service: "cron", traceId: T1, spanId: "4000000000000004", startMs: 7, endMs: 8 },
    { service: "gateway", traceId: T2, spanId: "5000000000000001", kind: SERVER, startMs: 0, endMs: 10 },
    { service: "worker", traceId: T2, spanId: "5000000000000002", startMs: 5, endMs: 6 },
  ];

  it("attributes each root after the first to its service, once per trace", async () => {
    const findings = await findingsOf(handwrittenOtlpJson(extraRoots), ["multiple-roots"]);
    expect(summary(findings)).toEqual([
      ["multiple-roots", "cron", "gateway", null, 1, 1, ["4000000000000004"]],
      // Examples are ordered by trace ID: T2's root sorts before T1's.
      ["multiple-roots", "worker", "gateway", null, 2, 2, ["5000000000000002", "4000000000000002"]],
    ]);
    expect(findings[0]!.message).toContain("Trace has 4 root spans");
    expect(findings.every((f) => f.severity === "warning")).toBe(true);
  });
});

describe("classifyOrphan (hand-written)", () => {
  const spans: HandwrittenSpan[] = [
    { service: "gw", traceId: T1, spanId: "6000000000000001", kind: SERVER, startMs: 0, endMs: 9 },
    // Unspecified kind: only the parent-is-remote flag can tell the two sides apart.
    { service: "a", traceId: T1, spanId: "6000000000000002", parentSpanId: "60000000000000f2", kind: 0, flags: 0x301, startMs: 1, endMs: 2 },
    { service: "b", traceId: T1, spanId: "6000000000000003", parentSpanId: "60000000000000f3", kind: 0, flags: 0x101, startMs: 1, endMs: 2 },
    { service: "c", traceId: T1, spanId: "6000000000000004", parentSpanId: "60000000000000f4", kind: 5, startMs: 1, endMs: 2 },
  ];

  it("reads the remote-parent flag for unspecified kinds and blames the producer for a CONSUMER", async () => {
    const [trace] = await buildTraces(handwrittenOtlpJson(spans));
    expect(trace!.topSpans.map((s) => [s.service, classifyOrphan(trace!, s).category])).toEqual([
      ["a", "caller-span-missing"],
      ["b", "same-service-span-lost"],
      ["c", "producer-span-missing"],
    ]);
  });

  it("lets a more specific classifier placed first decide, falling back to the kind", async () => {
    const [trace] = await buildTraces(handwrittenOtlpJson(spans));
    const sampled: OrphanClassifier = (_t, span) =>
      span.service === "a" ? { category: "dropped-by-sampling", message: "its parent was not sampled" } : undefined;
    expect(trace!.topSpans.map((s) => classifyOrphan(trace!, s, [sampled, classifyByKind]).category)).toEqual([
      "dropped-by-sampling",
      "same-service-span-lost",
      "producer-span-missing",
    ]);
  });
});
