import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { brokenEstate, healthyEstate } from "../fixtures/scenarios/propagation/estates";
import { healthyEstate as shopHealthyEstate } from "../fixtures/scenarios/healthy-estate";
import { builtinRules } from "../rules/index";
import propagationGap from "../rules/propagation-gap";
import splitTrace from "../rules/split-trace";
import { Analyzer } from "../src/engine/analyzer";
import { resolveConfig } from "../src/engine/config";
import type { Rule } from "../src/engine/rule";
import { SpanKind } from "../src/model/span";
import type { Trace } from "../src/model/trace";
import { renderMarkdown } from "../src/report/markdown";
import { ReportSchema, type Report } from "../src/report/schema";
import { buildTraces } from "./support/build-trace";

const NOW = new Date("2026-02-01T00:00:00Z");
const PROPAGATION_RULES: Rule[] = [propagationGap, splitTrace];

function analyzer(settings: Record<string, unknown> = {}, rules: Rule[] = PROPAGATION_RULES): Analyzer {
  return new Analyzer(resolveConfig({ rules: settings }, rules));
}

function run(traces: readonly Trace[], settings: Record<string, unknown> = {}, rules: Rule[] = PROPAGATION_RULES): Report {
  const a = analyzer(settings, rules);
  for (const t of traces) a.addTrace(t);
  return a.finish(NOW);
}

const brokenTraces = await buildTraces(brokenEstate());

describe("propagation coverage on an estate with one break per edge (real SDK)", () => {
  const report = run(brokenTraces);

  it("counts every edge exactly, worst first", () => {
    expect(report.coverage!.edges).toEqual([
      { from: "orders", to: "fraud", propagated: 0, total: 4, splitTraces: 4 },
      { from: "payments", to: "ledger", propagated: 0, total: 4, splitTraces: 0 },
      { from: "billing", to: "accounting", propagated: 0, total: 3, splitTraces: 2 },
      { from: "storefront", to: "inventory", propagated: 0, total: 3, splitTraces: 2 },
      { from: "gateway", to: "orders", propagated: 6, total: 6, splitTraces: 0 },
      { from: "orders", to: "audit", propagated: 4, total: 4, splitTraces: 0 },
      { from: "orders", to: "payments", propagated: 4, total: 4, splitTraces: 0 },
      { from: "orders", to: "shipping", propagated: 4, total: 4, splitTraces: 0 },
      { from: "orders", to: "inventory", propagated: 2, total: 2, splitTraces: 0 },
    ]);
  });

  it("sums edges per service and counts DB and external-host calls as externalCalls only", () => {
    const byService = Object.fromEntries(report.coverage!.services.map((s) => [s.service, s]));
    expect(byService.orders).toEqual({ service: "orders", inbound: { propagated: 6, total: 6 }, outbound: { propagated: 14, total: 18 }, externalCalls: 4 });
    expect(byService.payments).toEqual({ service: "payments", inbound: { propagated: 4, total: 4 }, outbound: { propagated: 0, total: 4 }, externalCalls: 4 });
    expect(byService.inventory).toEqual({ service: "inventory", inbound: { propagated: 2, total: 5 }, outbound: { propagated: 0, total: 0 }, externalCalls: 0 });
    expect(byService.ledger!.inbound).toEqual({ propagated: 0, total: 4 });
    expect(byService.gateway).toEqual({ service: "gateway", inbound: { propagated: 0, total: 0 }, outbound: { propagated: 6, total: 6 }, externalCalls: 0 });
    // Worst first: fraud and ledger receive nothing propagated; the healthy leaves come last.
    expect(report.coverage!.services.map((s) => s.service)).toEqual([
      "fraud", "ledger", "accounting", "billing", "storefront", "inventory", "payments", "orders", "gateway", "audit", "shipping",
    ]);
    // Neither the database nor the card API became a service or an edge.
    const names = new Set(report.coverage!.edges.flatMap((e) => [e.from, e.to]));
    expect(names.has("shop-db")).toBe(false);
    expect(names.has("api.cards.example")).toBe(false);
    expect(() => ReportSchema.parse(report)).not.toThrow();
  });

  it("reports one propagation-gap per broken edge with coverage, split count and the culprit", () => {
    const gaps = report.findings.filter((f) => f.ruleId === "propagation-gap");
    expect(gaps.map((f) => [f.service, f.subject, f.severity, f.occurrences, f.traceCount])).toEqual([
      ["billing", "billing→accounting", "error", 3, 3],
      ["orders", "orders→fraud", "error", 4, 4],
      ["payments", "payments→ledger", "error", 4, 4],
      ["storefront", "storefront→inventory", "error", 3, 3],
    ]);
    const [billing, fraud, ledger, storefront] = gaps.map((f) => f.message);
    // Callee does not extract: orders propagates elsewhere, fraud continues nobody's trace.
    expect(fraud).toBe(
      "orders→fraud: 0 of 4 calls propagated (0 % coverage), 4 split trace(s). Most likely culprit: fraud started a new trace although the call from orders reached it; " +
        "orders propagates context to audit, payments, shipping and 1 more, so fraud most likely did not extract the incoming traceparent; " +
        "4 of 4 root SERVER span(s) of fraud in the split traces lack the remote-parent flag (fraud's SDK saw no incoming context).",
    );
    // Caller's client not instrumented: inventory does continue orders' traces.
    expect(storefront).toContain("2 split trace(s)");
    expect(storefront).toContain("inventory continues traces from orders, so storefront most likely did not inject traceparent");
    expect(storefront).toContain("2 of 2 root SERVER span(s) of inventory in the split traces lack the remote-parent flag");
    // No split traces: the callee's span never arrived (service known only from a job, reached via k8s DNS).
    expect(ledger).toBe(
      "payments→ledger: 0 of 4 calls propagated (0 % coverage), 0 split trace(s). Most likely culprit: no span of ledger in any trace matches the unpropagated calls, " +
        "so ledger's SERVER span never arrived: ledger is not instrumented for these requests, does not export, or sampled them out.",
    );
    // Messaging without context in the headers, and no other edge to tell the sides apart.
    expect(billing).toContain("either billing did not put trace context in the message headers or accounting did not extract (or link) the context from the message");
    expect(billing).toContain("2 of 2 root CONSUMER span(s) of accounting");
  });

  it("gives split-proven calls as the first examples, with the callee's trace as the related trace", () => {
    const traces = new Map(brokenTraces.map((t) => [t.traceId, t]));
    const gap = report.findings.find((f) => f.ruleId === "propagation-gap" && f.subject === "storefront→inventory")!;
    expect(gap.examples).toHaveLength(3);
    expect(gap.examples.map((e) => e.relatedTraceId !== undefined)).toEqual([true, true, false]);
    for (const example of gap.examples) {
      const call = traces.get(example.traceId)!.spanById.get(example.spanId!)!;
      expect([call.service, call.kind]).toEqual(["storefront", SpanKind.CLIENT]);
      if (!example.relatedTraceId) continue;
      const root = traces.get(example.relatedTraceId)!.spanById.get(example.relatedSpanId!)!;
      expect([root.service, root.kind, root.parentSpanId]).toEqual(["inventory", SpanKind.SERVER, ""]);
    }
  });

  it("reports split-trace per edge with split pairs", () => {
    const splits = report.findings.filter((f) => f.ruleId === "split-trace");
    expect(splits.map((f) => [f.service, f.subject, f.severity, f.occurrences, f.traceCount, f.examples.length])).toEqual([
      ["billing", "billing→accounting", "warning", 2, 2, 2],
      ["orders", "orders→fraud", "warning", 4, 4, 4],
      ["storefront", "storefront→inventory", "warning", 2, 2, 2],
    ]);
    expect(splits[1]!.message).toBe(
      "orders→fraud: 4 call(s) from orders reached fraud, which started a new trace each time (a root SERVER span of fraud began inside the call): each request is split across two traces.",
    );
  });

  it("shows both coverage tables in the Markdown report, worst first", () => {
    const md = renderMarkdown(report);
    expect(md).toContain(
      [
        "## Context propagation coverage",
        "",
        "| Caller → callee | Propagated | Coverage | Split traces |",
        "|---|---:|---:|---:|",
        "| orders → fraud | 0/4 | 0 % | 4 |",
        "| payments → ledger | 0/4 | 0 % | 0 |",
      ].join("\n"),
    );
    expect(md).toContain("| inventory | 2/5 (40 %) | — | 0 |");
    expect(md).toContain("| orders | 6/6 (100 %) | 14/18 (77.8 %) | 4 |");
    const coverage = md.slice(md.indexOf("## Context propagation coverage"));
    expect(coverage.indexOf("| fraud |")).toBeGreaterThan(0);
    expect(coverage.indexOf("| fraud |")).toBeLessThan(coverage.indexOf("| orders |"));
  });
});

describe("healthy estates", () => {
  it("have 100 % coverage and no findings from any rule (HTTP, k8s DNS, Kafka child and link, DB, external API)", async () => {
    const report = run(await buildTraces(healthyEstate()), {}, builtinRules);
    expect(report.findings).toEqual([]);
    expect(report.coverage!.edges).toEqual([
      { from: "gateway", to: "orders", propagated: 4, total: 4, splitTraces: 0 },
      { from: "orders", to: "audit", propagated: 4, total: 4, splitTraces: 0 },
      { from: "orders", to: "payments", propagated: 4, total: 4, splitTraces: 0 },
      { from: "orders", to: "shipping", propagated: 4, total: 4, splitTraces: 0 },
    ]);
    const external = Object.fromEntries(report.coverage!.services.map((s) => [s.service, s.externalCalls]));
    expect(external).toEqual({ orders: 4, payments: 4, audit: 0, gateway: 0, shipping: 0 });
  });

  it("the shared shop fixture estate is fully propagated too", async () => {
    const parts = shopHealthyEstate.build();
    const report = run(await buildTraces(parts.map((p) => ({ bytes: p.otlpJson }))));
    expect(report.findings).toEqual([]);
    const edges = report.coverage!.edges;
    expect(edges.map((e) => `${e.from}→${e.to}`).sort()).toEqual(["gateway→orders", "orders→inventory", "orders→payments"]);
    for (const e of edges) expect(e.propagated).toBe(e.total);
    expect(edges.find((e) => e.to === "orders")!.total).toBe(60);
  });
});

describe("shards", () => {
  function comparable(report: Report) {
    return { findings: report.findings, coverage: report.coverage };
  }

  function merged(shards: Trace[][], settings: Record<string, unknown> = {}): Report {
    const [first, ...rest] = shards.map((traces) => {
      const a = analyzer(settings);
      for (const t of traces) a.addTrace(t);
      return a;
    });
    // Snapshots travel as JSON between Worker invocations.
    for (const other of rest) first!.merge(JSON.parse(JSON.stringify(other.snapshot())));
    return first!.finish(NOW);
  }

  const calleeRoots = (t: Trace) => t.roots.some((r) => ["fraud", "inventory", "accounting", "audit"].includes(r.service));

  it("merging halves gives the same report as one run, even with callers and callee roots in different shards", () => {
    const whole = comparable(run(brokenTraces));
    expect(comparable(merged([brokenTraces.filter((_, i) => i % 2 === 0), brokenTraces.filter((_, i) => i % 2 === 1)]))).toEqual(whole);
    expect(comparable(merged([brokenTraces.filter((t) => !calleeRoots(t)), brokenTraces.filter(calleeRoots)]))).toEqual(whole);
    expect(comparable(merged([brokenTraces.filter(calleeRoots), brokenTraces.filter((t) => !calleeRoots(t))]))).toEqual(whole);
  });

  it("caps pending calls at the earliest N: totals stay exact, link and split matching lose the rest, and shards still agree", () => {
    const settings = { "propagation-gap": ["error", { maxPendingCalls: 5 }], "split-trace": ["warning", { maxPendingCalls: 5 }] };
    const capped = run(brokenTraces, settings);
    // The 5 earliest calls without a callee child: card API (external until resolved), ledger,
    // fraud, the audit producer, card API again (the shipping producers, kept for their fan-out,
    // rank after all of them and are all dropped). Only one fraud call can pair, and only one audit
    // producer can be matched with the consumer that links to it; audit continues context through
    // links, so the 3 audit producers not kept cannot be judged and are undecided, not gaps.
    // billing's messages (accounting never links) and the CLIENT calls not kept still count.
    expect(capped.coverage!.edges.map((e) => [`${e.from}→${e.to}`, e.propagated, e.total, e.splitTraces, e.undecided ?? 0])).toEqual([
      ["orders→fraud", 0, 4, 1, 0],
      ["payments→ledger", 0, 4, 0, 0],
      ["billing→accounting", 0, 3, 0, 0],
      ["storefront→inventory", 0, 3, 0, 0],
      ["gateway→orders", 6, 6, 0, 0],
      ["orders→payments", 4, 4, 0, 0],
      ["orders→shipping", 4, 4, 0, 0],
      ["orders→inventory", 2, 2, 0, 0],
      ["orders→audit", 1, 1, 0, 3],
    ]);
    const shards = [brokenTraces.filter((t) => !calleeRoots(t)), brokenTraces.filter(calleeRoots)];
    expect(comparable(merged(shards, settings))).toEqual(comparable(capped));
  });
});

describe("real Tempo test data (grafana/tempo servicegraphs traces, AGPL, read in place)", () => {
  const dir = new URL("../../shared/upstream-data/tempo/tempo-api-json/servicegraphs/", import.meta.url);
  const read = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));

  it("finds the propagated edges; DB spans, a queue and address-less clients are external", async () => {
    const report = run(await buildTraces(read("trace-with-db-system-name.json")));
    expect(report.coverage!.edges).toEqual([
      { from: "mythical-requester", to: "mythical-recorder", propagated: 1, total: 1, splitTraces: 0 },
      { from: "mythical-requester", to: "mythical-server", propagated: 1, total: 1, splitTraces: 0 },
    ]);
    expect(report.coverage!.services.map((s) => [s.service, s.externalCalls])).toEqual([
      ["mythical-requester", 2],
      ["mythical-server", 3],
      ["mythical-recorder", 0],
    ]);
    expect(report.findings).toEqual([]);
  });

  it("counts a span repeated across inputs once, and a client to an uninstrumented peer (Tempo's virtual node) as external", async () => {
    const once = run(await buildTraces(read("trace-with-queue-database.json")));
    const twice = run(await buildTraces([{ bytes: read("trace-with-queue-database.json") }, { bytes: read("trace-with-queue-database.json") }]));
    expect(twice.coverage).toEqual(once.coverage);
    const virtual = run(await buildTraces(read("trace-with-virtual-nodes.json")));
    expect(virtual.coverage!.edges).toEqual([]);
    expect(virtual.coverage!.services).toEqual([
      { service: "mythical-requester", inbound: { propagated: 0, total: 0 }, outbound: { propagated: 0, total: 0 }, externalCalls: 1 },
    ]);
  });
});
