import { describe, expect, it } from "vitest";
import { PropagationEstate } from "../fixtures/scenarios/propagation/hops";
import propagationGap from "../rules/propagation-gap";
import splitTrace from "../rules/split-trace";
import { routeMatches, requestsCompatible } from "../src/analysis/propagation/path-match";
import { Analyzer } from "../src/engine/analyzer";
import { resolveConfig } from "../src/engine/config";
import type { Report } from "../src/report/schema";
import { buildTraces } from "./support/build-trace";

async function check(bytes: Uint8Array, options: Record<string, unknown> = {}): Promise<Report> {
  const analyzer = new Analyzer(
    resolveConfig({ rules: { "propagation-gap": ["error", options], "split-trace": ["warning", options] } }, [propagationGap, splitTrace]),
  );
  for (const trace of await buildTraces(bytes)) analyzer.addTrace(trace);
  return analyzer.finish();
}

const request = { method: "GET" as const, route: "/items/{id}", path: "/items/42", host: "catalog", port: 8080 };

/** web calls catalog with an uninstrumented client; `callee` decides what catalog records. */
function webToCatalog(callee: (e: PropagationEstate, parentStart: number) => void, seed = 11): Uint8Array {
  const e = new PropagationEstate(seed);
  const root = e.root("web", "GET", "/shop", "/shop", [0, 100]);
  // The call's own server span never arrives in this trace (no traceparent was sent).
  e.http(root, "web", "catalog", request, [10, 60], [11, 59], "lost");
  callee(e, 10);
  // catalog also serves a propagated request elsewhere, so it is a known, extracting service.
  const other = e.root("gateway", "GET", "/api/items", "/api/items", [5_000, 5_050]);
  e.http(other, "gateway", "catalog", { ...request, path: "/items/7" }, [5_005, 5_040], [5_006, 5_039], "propagate");
  return e.finish();
}

function edge(report: Report, from: string, to: string) {
  return report.coverage!.edges.find((e) => e.from === from && e.to === to);
}

describe("split-trace pairing (real SDK spans)", () => {
  it("pairs a callee root with the same method and a path matching its route, and names both traces", async () => {
    let rootTrace = "";
    let rootSpan = "";
    const bytes = webToCatalog((e) => {
      const span = e.root("catalog", "GET", "/items/{id}", "/items/42", [12, 58]);
      rootTrace = span.spanContext().traceId;
      rootSpan = span.spanContext().spanId;
    });
    const report = await check(bytes);
    expect(edge(report, "web", "catalog")).toEqual({ from: "web", to: "catalog", propagated: 0, total: 1, splitTraces: 1 });
    const split = report.findings.find((f) => f.ruleId === "split-trace")!;
    expect([split.service, split.subject, split.occurrences, split.traceCount]).toEqual(["web", "web→catalog", 1, 1]);
    expect(split.examples).toHaveLength(1);
    expect(split.examples[0]).toMatchObject({
      relatedTraceId: rootTrace,
      relatedSpanId: rootSpan,
      evidence: "callee root span: remote-parent flag unset (no incoming context)",
    });
    expect(split.examples[0]!.traceId).not.toBe(rootTrace);
    const gap = report.findings.find((f) => f.ruleId === "propagation-gap")!;
    expect(gap.message).toContain("catalog continues traces from gateway, so web most likely did not inject traceparent");
  });

  it("does not pair a root for another path, another method, or one outside the window", async () => {
    for (const callee of [
      (e: PropagationEstate) => e.root("catalog", "GET", "/health", "/health", [12, 13]),
      (e: PropagationEstate) => e.root("catalog", "POST", "/items/{id}", "/items/42", [12, 58]),
      (e: PropagationEstate) => e.root("catalog", "GET", "/items/{id}", "/items/42", [200, 240]),
    ]) {
      const report = await check(webToCatalog(callee));
      expect(edge(report, "web", "catalog")).toEqual({ from: "web", to: "catalog", propagated: 0, total: 1, splitTraces: 0 });
      expect(report.findings.filter((f) => f.ruleId === "split-trace")).toEqual([]);
      expect(report.findings.find((f) => f.ruleId === "propagation-gap")!.message).toContain("catalog's SERVER span never arrived");
    }
  });

  it("widens the window by the clock-skew tolerance (default 50 ms)", async () => {
    // catalog's clock runs 30 ms behind: its root appears to start before the call did.
    const bytes = webToCatalog((e) => e.root("catalog", "GET", "/items/{id}", "/items/42", [-20, 28]));
    expect(edge(await check(bytes), "web", "catalog")!.splitTraces).toBe(1);
    expect(edge(await check(bytes, { clockSkewToleranceMs: 10 }), "web", "catalog")!.splitTraces).toBe(0);
  });

  it("pairs each root at most once, earliest call first", async () => {
    const e = new PropagationEstate(12);
    const calls: string[] = [];
    for (const start of [10, 20]) {
      const root = e.root("web", "GET", "/shop", "/shop", [start - 5, start + 100]);
      calls.push(e.http(root, "web", "catalog", request, [start, start + 60], [start + 1, start + 59], "lost").client.spanContext().spanId);
    }
    e.root("catalog", "GET", "/items/{id}", "/items/42", [25, 50]);
    const report = await check(e.finish());
    expect(edge(report, "web", "catalog")).toEqual({ from: "web", to: "catalog", propagated: 0, total: 2, splitTraces: 1 });
    const split = report.findings.find((f) => f.ruleId === "split-trace")!;
    expect(split.examples.map((x) => x.spanId)).toEqual([calls[0]]);
  });

  it("does not treat a batch consumer that links to its producer as a split", async () => {
    const e = new PropagationEstate(13);
    const root = e.root("orders", "POST", "/orders", "/orders", [0, 50]);
    e.message(root, "orders", "audit", "order-audit", [5, 8], [6, 20], "link");
    const report = await check(e.finish());
    expect(edge(report, "orders", "audit")).toEqual({ from: "orders", to: "audit", propagated: 1, total: 1, splitTraces: 0 });
    expect(report.findings).toEqual([]);
  });
});

describe("path compatibility", () => {
  it("matches route templates segment by segment", () => {
    expect(routeMatches("/items/{id}", "/items/42")).toBe(true);
    expect(routeMatches("/items/:id/reviews", "/items/42/reviews")).toBe(true);
    expect(routeMatches("/items/{id}", "/items/42/reviews")).toBe(false);
    expect(routeMatches("/static/*", "/static/css/site.css")).toBe(true);
    expect(routeMatches("/items/{id}", "/orders/42")).toBe(false);
  });

  it("needs the same method and a compatible path only when both sides carry one", () => {
    const served = { method: "GET", path: "/items/42", route: "/items/{id}" };
    expect(requestsCompatible({ method: "GET", path: "/items/42" }, served)).toBe(true);
    expect(requestsCompatible({ method: "GET", path: "/items/42/" }, { ...served, route: null })).toBe(true);
    expect(requestsCompatible({ method: "POST", path: "/items/42" }, served)).toBe(false);
    expect(requestsCompatible({ method: null, path: null }, served)).toBe(true);
    expect(requestsCompatible({ method: "GET", path: "/items/43" }, { ...served, route: null })).toBe(false);
    expect(requestsCompatible({ method: "GET", path: "/items/43" }, served)).toBe(true);
  });
});
