// Which tracelint rules count towards the per-service score, at which Instrumentation Score impact
// level, and which spec rules each one implements. The spec's own rules keep the spec's impact; the
// other rules get the level whose description fits their damage, with the rationale stated here and
// in docs/score.md.
import { z } from "zod";

export const IMPACTS = ["critical", "important", "normal", "low"] as const;
export type Impact = (typeof IMPACTS)[number];
/** Instrumentation Score impact weights (specification.md). */
export const IMPACT_WEIGHTS: Readonly<Record<Impact, number>> = { critical: 40, important: 30, normal: 20, low: 10 };

export interface RuleImpact {
  impact: Impact;
  /** The Instrumentation Score rule this tracelint rule implements, or null for tracelint-only rules. */
  specRule: string | null;
  rationale: string;
}

export const RULE_IMPACTS: Readonly<Record<string, RuleImpact>> = {
  "missing-service-name": { impact: "critical", specRule: "RES-005", rationale: "Spec RES-005 (Critical): without service.name nothing can be attributed." },
  "root-span-is-client": { impact: "important", specRule: "SPA-004", rationale: "Spec SPA-004 (Important)." },
  "orphan-span": { impact: "normal", specRule: "SPA-002", rationale: "Spec SPA-002 (Normal)." },
  "high-cardinality-span-name": { impact: "important", specRule: "SPA-003", rationale: "Spec SPA-003 (Important)." },
  "pii-in-attributes": {
    impact: "critical",
    specRule: "SPA-006",
    rationale: "Covers spec SPA-006 (span attributes) and more; Critical because leaked personal data or credentials are a compliance incident, not a quality gap.",
  },
  "propagation-gap": { impact: "important", specRule: null, rationale: "Broken context propagation cuts every trace across the edge in two." },
  "split-trace": { impact: "normal", specRule: null, rationale: "Consequence of a propagation gap already weighted as Important; Normal avoids double weight." },
  "duplicate-span-id": { impact: "important", specRule: null, rationale: "Colliding IDs corrupt the trace tree for every consumer." },
  "invalid-span-context": { impact: "important", specRule: null, rationale: "Invalid trace/span IDs make spans unjoinable." },
  "parent-cycle": { impact: "important", specRule: null, rationale: "A cyclic parent chain makes the trace tree unrenderable." },
  "missing-root": { impact: "normal", specRule: null, rationale: "Same damage class as orphan spans (SPA-002, Normal)." },
  "multiple-roots": { impact: "normal", specRule: null, rationale: "Same damage class as orphan spans (SPA-002, Normal)." },
  "span-name-convention": { impact: "normal", specRule: null, rationale: "Names off-convention hurt grouping; a milder form of SPA-003." },
  "error-status-mismatch": { impact: "normal", specRule: null, rationale: "Failures invisible to error rates and error-based sampling." },
  "invalid-timestamps": { impact: "normal", specRule: null, rationale: "Wrong durations mislead latency analysis." },
  "clock-skew": { impact: "low", specRule: null, rationale: "Host clock issue, usually cosmetic in waterfalls." },
  "partial-trace": { impact: "low", specRule: null, rationale: "Mostly a storage/query limit rather than instrumentation." },
  "span-limits-exceeded": { impact: "low", specRule: null, rationale: "Bounded, visible data loss at SDK limits." },
  "oversized-trace": { impact: "low", specRule: null, rationale: "Cost and usability problem; the data itself is sound." },
};

/** Rules added later and not yet in the table count at Normal (stated in the report). */
export const DEFAULT_IMPACT: RuleImpact = { impact: "normal", specRule: null, rationale: "Not yet classified: Normal by default." };

/** Instrumentation Score trace/resource/log/metric rules tracelint does not implement. */
export const SPEC_RULES_NOT_IMPLEMENTED: readonly string[] = [
  "SPA-001", "SPA-005", "RES-001", "RES-002", "RES-003", "RES-004", "RES-010", "SDK-001",
  "LOG-001", "LOG-002", "LOG-003", "MET-001", "MET-002", "MET-003", "MET-004", "MET-005", "MET-006", "MET-008",
];

export const SCORE_CATEGORIES = ["Excellent", "Good", "Needs Improvement", "Poor"] as const;
export type ScoreCategory = (typeof SCORE_CATEGORIES)[number];

/** Spec bands: 90–100 Excellent, 75–89 Good, 50–74 Needs Improvement, < 50 Poor. */
export function scoreCategory(score: number): ScoreCategory {
  return score >= 90 ? "Excellent" : score >= 75 ? "Good" : score >= 50 ? "Needs Improvement" : "Poor";
}

export const ScoresSchema = z
  .object({
    method: z.string().describe("How the score is computed, in one sentence."),
    rules: z
      .array(
        z
          .object({
            ruleId: z.string(),
            impact: z.enum(IMPACTS),
            weight: z.number().int().positive(),
            specRule: z.string().nullable().describe("Instrumentation Score rule implemented, null for tracelint-only rules."),
            rationale: z.string(),
          })
          .strict(),
      )
      .describe("The checks behind every service's score."),
    specRulesNotImplemented: z.array(z.string()).describe("Instrumentation Score rules tracelint does not evaluate."),
    services: z
      .array(
        z
          .object({
            service: z.string(),
            score: z.number().int().min(0).max(100),
            category: z.enum(SCORE_CATEGORIES),
            specScore: z.number().int().min(0).max(100).nullable().describe("Score over spec-mapped rules only (null when none ran)."),
            failedRules: z.array(z.string()),
          })
          .strict(),
      )
      .describe("Worst first, then by name."),
    servicesNotListed: z.number().int().nonnegative().describe("Services beyond the listing cap (all scored at least as well as the last listed)."),
  })
  .strict();
export type Scores = z.infer<typeof ScoresSchema>;
