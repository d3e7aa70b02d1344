// Per-service score: Instrumentation Score formula Σ(P_i·W_i) / Σ(T_i·W_i) · 100 where each rule
// that ran is one check per service (T_i = 1), passed (P_i = 1) unless the service has a finding
// of that rule at warning or error severity. Info findings (e.g. expected IP addresses) never fail.
import { DEFAULT_IMPACT, IMPACT_WEIGHTS, RULE_IMPACTS, SPEC_RULES_NOT_IMPLEMENTED, scoreCategory, type Scores } from "./impact";

export interface ScoreInput {
  rules: readonly { id: string }[];
  findings: readonly { ruleId: string; service: string; severity: string }[];
}

/** Services listed in the report at most; the rest are counted (they score best anyway). */
export const MAX_LISTED_SERVICES = 500;

export function computeScores(input: ScoreInput, services: Iterable<string>): Scores {
  const checks = input.rules.map((r) => {
    const impact = RULE_IMPACTS[r.id] ?? DEFAULT_IMPACT;
    return { ruleId: r.id, ...impact, weight: IMPACT_WEIGHTS[impact.impact] };
  });
  const failed = new Map<string, Set<string>>();
  const all = new Set(services);
  for (const f of input.findings) {
    all.add(f.service);
    if (f.severity !== "error" && f.severity !== "warning") continue;
    let set = failed.get(f.service);
    if (!set) failed.set(f.service, (set = new Set()));
    set.add(f.ruleId);
  }
  const score = (failing: ReadonlySet<string>, specOnly: boolean): number | null => {
    let total = 0;
    let passed = 0;
    for (const c of checks) {
      if (specOnly && c.specRule === null) continue;
      total += c.weight;
      if (!failing.has(c.ruleId)) passed += c.weight;
    }
    return total === 0 ? null : Math.round((passed / total) * 100);
  };
  const rows = [...all].map((service) => {
    const failing = failed.get(service) ?? new Set<string>();
    const value = score(failing, false) ?? 100;
    return {
      service,
      score: value,
      category: scoreCategory(value),
      specScore: score(failing, true),
      failedRules: checks.filter((c) => failing.has(c.ruleId)).map((c) => c.ruleId),
    };
  });
  rows.sort((a, b) => a.score - b.score || (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
  return {
    method:
      "Instrumentation Score formula Σ(P·W)/Σ(T·W)·100 with weights Critical 40, Important 30, Normal 20, Low 10; each rule that ran is one check per service, failed by any warning or error finding of that rule for the service.",
    rules: checks.map(({ ruleId, impact, weight, specRule, rationale }) => ({ ruleId, impact, weight, specRule, rationale })),
    specRulesNotImplemented: [...SPEC_RULES_NOT_IMPLEMENTED],
    services: rows.slice(0, MAX_LISTED_SERVICES),
    servicesNotListed: Math.max(0, rows.length - MAX_LISTED_SERVICES),
  };
}
