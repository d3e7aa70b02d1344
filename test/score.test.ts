import { SpanKind } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import missingServiceName from "../rules/missing-service-name";
import piiRule from "../rules/pii-in-attributes";
import rootSpanIsClient from "../rules/root-span-is-client";
import { resolveConfig } from "../src/engine/config";
import { checkInputs } from "../src/pipeline/check";
import { renderJson } from "../src/report/json";
import { renderMarkdown } from "../src/report/markdown";
import { computeScores, MAX_LISTED_SERVICES } from "../src/score/compute";

const RULES = [{ id: "missing-service-name" }, { id: "root-span-is-client" }, { id: "error-status-mismatch" }, { id: "oversized-trace" }];

describe("computeScores", () => {
  it("weights each rule that ran as one check per service (Critical 40, Important 30, Normal 20, Low 10)", () => {
    const scores = computeScores(
      {
        rules: RULES,
        findings: [
          { ruleId: "root-span-is-client", service: "a", severity: "warning" },
          { ruleId: "root-span-is-client", service: "a", severity: "warning" },
          { ruleId: "pii-in-attributes", service: "c", severity: "info" }, // info never fails a check
          { ruleId: "missing-service-name", service: "unknown_service", severity: "error" },
          { ruleId: "error-status-mismatch", service: "unknown_service", severity: "warning" },
        ],
      },
      ["a", "b", "c"],
    );
    expect(scores.rules.map((r) => [r.ruleId, r.impact, r.weight, r.specRule])).toEqual([
      ["missing-service-name", "critical", 40, "RES-005"],
      ["root-span-is-client", "important", 30, "SPA-004"],
      ["error-status-mismatch", "normal", 20, null],
      ["oversized-trace", "low", 10, null],
    ]);
    expect(scores.services).toEqual([
      // 100 − 40 − 20 = 40; spec rules only: 30 of 70 → 43
      { service: "unknown_service", score: 40, category: "Poor", specScore: 43, failedRules: ["missing-service-name", "error-status-mismatch"] },
      { service: "a", score: 70, category: "Needs Improvement", specScore: 57, failedRules: ["root-span-is-client"] },
      { service: "b", score: 100, category: "Excellent", specScore: 100, failedRules: [] },
      { service: "c", score: 100, category: "Excellent", specScore: 100, failedRules: [] },
    ]);
    expect(scores.specRulesNotImplemented).toContain("SPA-001");
    expect(scores.specRulesNotImplemented).toContain("RES-001");
    expect(scores.specRulesNotImplemented).not.toContain("SPA-004");
  });

  it("counts unclassified rules at Normal, has no spec score without spec rules, and caps the listing", () => {
    const services = Array.from({ length: MAX_LISTED_SERVICES + 1 }, (_, i) => `svc-${String(i).padStart(3, "0")}`);
    const scores = computeScores(
      { rules: [{ id: "some-future-rule" }, { id: "oversized-trace" }], findings: [{ ruleId: "some-future-rule", service: "svc-500", severity: "error" }] },
      services,
    );
    expect(scores.rules[0]).toMatchObject({ ruleId: "some-future-rule", impact: "normal", weight: 20, specRule: null });
    expect(scores.services[0]).toEqual({ service: "svc-500", score: 33, category: "Poor", specScore: null, failedRules: ["some-future-rule"] });
    expect(scores.services).toHaveLength(MAX_LISTED_SERVICES);
    expect(scores.servicesNotListed).toBe(1);
  });
});

describe("scores in the report", () => {
  it("every pipeline's report carries per-service scores, in JSON and Markdown", async () => {
    const rec = new TraceRecorder({ seed: 31 });
    const cron = rec.tracer("cron");
    const web = rec.tracer("web");
    cron.startSpan("GET", { kind: SpanKind.CLIENT, startTime: rec.time(0) }).end(rec.time(1));
    const root = web.startSpan("GET /", { kind: SpanKind.SERVER, startTime: rec.time(5) });
    web.startSpan("GET", { kind: SpanKind.CLIENT, startTime: rec.time(6) }, rec.within(root)).end(rec.time(7));
    root.end(rec.time(8));
    const config = resolveConfig({}, [rootSpanIsClient, missingServiceName, piiRule]);
    const report = await checkInputs([{ name: "sdk.json", read: async () => rec.toOtlpJson() }], config, { now: new Date(0) });

    // Weights 30 + 40 + 40 = 110; cron fails the Important check: 80 / 110 → 73.
    expect(report.scores!.services).toEqual([
      { service: "cron", score: 73, category: "Needs Improvement", specScore: 73, failedRules: ["root-span-is-client"] },
      { service: "web", score: 100, category: "Excellent", specScore: 100, failedRules: [] },
    ]);
    expect(JSON.parse(renderJson(report)).scores.services).toHaveLength(2);
    const md = renderMarkdown(report);
    expect(md).toContain("## Instrumentation score by service");
    expect(md).toContain("| cron | 73 | Needs Improvement | 73 | `root-span-is-client` |");
    expect(md).toContain("| web | 100 | Excellent | 100 | — |");
    expect(md).toContain("SPA-004 → `root-span-is-client`, RES-005 → `missing-service-name`, SPA-006 → `pii-in-attributes`");
  });
});
