// Bounds of the call aggregates: a high-cardinality address target (pod IPs) must not crowd calls
// between known services out of the table, and calls not counted are always reported.
import { afterEach, describe, expect, it } from "vitest";
import { PropagationEstate } from "../fixtures/scenarios/propagation/hops";
import propagationGap from "../rules/propagation-gap";
import splitTrace from "../rules/split-trace";
import { coverageMarkdown } from "../src/analysis/propagation/markdown";
import { LIMITS, type PropagationSnapshot } from "../src/analysis/propagation/state";
import { Analyzer } from "../src/engine/analyzer";
import { resolveConfig } from "../src/engine/config";
import type { Trace } from "../src/model/trace";
import { renderHtml } from "../src/report/html/index";
import { buildTraces } from "./support/build-trace";

// The caps are module constants; shrunk here so that a few hundred real SDK spans reach them.
const saved = { ...LIMITS };
const limits = LIMITS as unknown as Record<keyof typeof LIMITS, number>;
afterEach(() => Object.assign(limits, saved));

const FLOOD = 40;

/** `edge` calls FLOOD distinct pod IPs (no callee spans) first; then orders → fraud, half broken. */
function floodEstate(): Uint8Array {
  const e = new PropagationEstate(71);
  for (let i = 0; i < FLOOD; i++) {
    const root = e.root("edge", "GET", "/work", "/work", [i * 10, i * 10 + 9]);
    e.external(root, "edge", { method: "GET", path: "/x", host: `10.0.${i >> 8}.${i & 255}`, port: 8080, scheme: "http" }, [i * 10 + 1, i * 10 + 8]);
  }
  const request = { method: "POST" as const, route: "/checks", path: "/checks", host: "fraud", port: 8080 };
  for (let i = 0; i < 4; i++) {
    const t = 10_000 + i * 1000;
    const root = e.root("orders", "POST", "/orders", "/orders", [t, t + 100]);
    e.http(root, "orders", "fraud", request, [t + 10, t + 60], [t + 11, t + 59], i % 2 === 0 ? "propagate" : "no-extract");
  }
  return e.finish();
}

function analyse(traces: readonly Trace[]): Analyzer {
  const analyzer = new Analyzer(resolveConfig({ rules: { "propagation-gap": ["error", {}], "split-trace": ["warning", {}] } }, [propagationGap, splitTrace]));
  for (const t of traces) analyzer.addTrace(t);
  return analyzer;
}

describe("call aggregate bounds (real SDK)", () => {
  it("pod-IP calls past the address budget do not hide a later broken edge between known services", async () => {
    Object.assign(limits, { callAggregates: 30, addressCallAggregates: 10 });
    const traces = await buildTraces(floodEstate());
    const report = analyse(traces).finish();
    expect(report.coverage!.edges).toEqual([{ from: "orders", to: "fraud", propagated: 2, total: 4, splitTraces: 2 }]);
    const gap = report.findings.filter((f) => f.ruleId === "propagation-gap" && f.occurrences > 0);
    expect(gap.map((f) => f.subject)).toEqual(["orders→fraud"]);
    // The pod IPs past the budget were not counted, and the report says so.
    expect(report.coverage!.callsNotCounted).toBe(FLOOD - 10);
    expect(report.coverage!.services.find((s) => s.service === "edge")!.externalCalls).toBe(10);
    expect(gap[0]!.message).toContain(`${FLOOD - 10} call(s) of the audit were not counted`);
  });

  it("reports calls not counted when the table is full (coverage field, Markdown, HTML, finding message)", async () => {
    // Budget not reached, table full: the broken edge's calls that came last are not counted.
    Object.assign(limits, { callAggregates: FLOOD, addressCallAggregates: 1_000 });
    const traces = await buildTraces(floodEstate());
    const report = analyse(traces).finish();
    const notCounted = report.coverage!.callsNotCounted;
    expect(notCounted).toBe(4);
    // Not counted: the edge has no calls (only the split pairs of its individually kept calls).
    expect(report.coverage!.edges.map((e) => [e.from, e.to, e.total])).toEqual([["orders", "fraud", 0]]);
    expect(coverageMarkdown(report.coverage).join("\n")).toContain("4 call(s) were not counted");
    expect(renderHtml(report)).toContain("4 call(s) were not counted");
  });

  it("shards merge to the single-run result past the budget (the snapshot format is unchanged)", async () => {
    Object.assign(limits, { callAggregates: 30, addressCallAggregates: 10 });
    const traces = await buildTraces(floodEstate());
    const once = analyse(traces).finish();
    const half = Math.floor(traces.length / 2);
    const a = analyse(traces.slice(0, half)).snapshot();
    const b = analyse(traces.slice(half)).snapshot();
    const merged = analyse([]);
    merged.merge(a);
    merged.merge(b);
    const report = merged.finish();
    expect(report.coverage!.edges).toEqual(once.coverage!.edges);
    expect((b.analyses.propagation as PropagationSnapshot).calls.length).toBeLessThanOrEqual(30);
    expect(report.coverage!.callsNotCounted).toBeGreaterThan(0);
  });

  it("normal-size inputs have no callsNotCounted", async () => {
    const report = analyse(await buildTraces(floodEstate())).finish();
    expect(report.coverage!.callsNotCounted).toBeUndefined();
    expect(report.coverage!.services.find((s) => s.service === "edge")!.externalCalls).toBe(FLOOD);
  });
});
