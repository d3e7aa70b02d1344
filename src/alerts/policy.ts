// Which findings and coverage changes one destination is told about. Pure: state in, items out.
import { severityAtLeast } from "../engine/rule";
import { findingFingerprint, type DeltaSection, type Snapshot } from "../report/diff";
import type { Report, ReportFinding } from "../report/schema";
import type { AlertPolicy } from "./config";
import { safeLine } from "./text";
import type { AlertItem } from "./types";

const ITEM_CHARS = 300;

function matches(value: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith("*") ? value.startsWith(p.slice(0, -1)) : value === p));
}

export function findingInScope(f: Pick<ReportFinding, "ruleId" | "service" | "severity">, policy: AlertPolicy): boolean {
  if (!severityAtLeast(f.severity, policy.minSeverity)) return false;
  if (policy.rules && !policy.rules.includes(f.ruleId)) return false;
  if (policy.excludeRules.includes(f.ruleId)) return false;
  if (policy.services && !matches(f.service, policy.services)) return false;
  if (matches(f.service, policy.excludeServices)) return false;
  return true;
}

/** One masked line for a finding; the message is trace-derived, so it goes through redaction. */
export function findingText(f: ReportFinding): string {
  return safeLine(`${f.ruleId} in ${f.service}${f.subject ? ` (${f.subject})` : ""}: ${f.message} [${f.occurrences} in ${f.traceCount} trace(s)]`, ITEM_CHARS);
}

export function coverageDropFingerprint(from: string, to: string): string {
  return findingFingerprint({ ruleId: "coverage-drop", service: from, subject: to, category: null });
}

export interface SelectionInput {
  report: Report;
  /** Changes against the previous run; undefined on the first run (everything counts as new). */
  delta: DeltaSection | undefined;
  policy: AlertPolicy;
  /** fingerprint → ISO time it was last sent to this destination. */
  lastSent: Readonly<Record<string, string>>;
  now: Date;
}

/** Items to send, most severe first; the quiet period already applied. */
export function selectItems({ report, delta, policy, lastSent, now }: SelectionInput): AlertItem[] {
  const quietMs = policy.quietPeriodMinutes * 60_000;
  const quiet = (fingerprint: string) => {
    const at = lastSent[fingerprint];
    return at !== undefined && now.getTime() - Date.parse(at) < quietMs;
  };
  const newSet = new Set(delta?.findings.new.map((d) => d.fingerprint));
  const worseSet = new Set(delta?.findings.worsened.map((d) => d.fingerprint));
  const items: AlertItem[] = [];
  for (const f of report.findings) {
    if (!findingInScope(f, policy)) continue;
    const fingerprint = findingFingerprint(f);
    const change: AlertItem["change"] = !delta || newSet.has(fingerprint) ? "new" : worseSet.has(fingerprint) ? "worsened" : "repeat";
    if (policy.onlyNewOrWorsened && change === "repeat") continue;
    // A finding that got worse is news even within the quiet period of its last alert.
    if (change !== "worsened" && quiet(fingerprint)) continue;
    items.push({ fingerprint, change, severity: f.severity, ruleId: f.ruleId, service: f.service, subject: f.subject, text: findingText(f) });
  }
  if (policy.coverageDropPoints !== null && delta) {
    for (const e of delta.edges) {
      if (e.deltaPoints === null || e.deltaPoints > -policy.coverageDropPoints) continue;
      // A coverage drop is a propagation-gap item: the rule and service filters apply to it too.
      if (policy.rules && !policy.rules.includes("propagation-gap")) continue;
      if (policy.excludeRules.includes("propagation-gap")) continue;
      if (policy.services && !matches(e.from, policy.services) && !matches(e.to, policy.services)) continue;
      if (matches(e.from, policy.excludeServices) || matches(e.to, policy.excludeServices)) continue;
      const fingerprint = coverageDropFingerprint(e.from, e.to);
      if (quiet(fingerprint)) continue;
      items.push({
        fingerprint,
        change: "coverage-drop",
        severity: "error",
        ruleId: "propagation-gap",
        service: e.from,
        subject: `${e.from}→${e.to}`,
        text: safeLine(`propagation coverage ${e.from}→${e.to} fell from ${e.before} % to ${e.after} % (${e.deltaPoints} points)`, ITEM_CHARS),
      });
    }
  }
  if (policy.notifyResolved && delta) {
    // Only what this destination was told about: a finding it never heard of needs no all-clear.
    for (const r of delta.findings.resolved) {
      if (lastSent[r.fingerprint] === undefined || !findingInScope(r, policy)) continue;
      items.push({
        fingerprint: r.fingerprint,
        change: "resolved",
        severity: "info",
        ruleId: r.ruleId,
        service: r.service,
        subject: r.subject,
        text: safeLine(`${r.ruleId} in ${r.service}${r.subject ? ` (${r.subject})` : ""}: gone in this run (was ${r.previousOccurrences ?? "?"} occurrence(s))`, ITEM_CHARS),
      });
    }
  }
  const rank = { error: 0, warning: 1, info: 2 } as const;
  // Open issues first, most severe first; all-clears last.
  return items.sort((a, b) => Number(a.change === "resolved") - Number(b.change === "resolved") || rank[a.severity] - rank[b.severity]);
}

/** Why an audit is degraded (in plain words), or [] when it is healthy. */
export function degradation(report: Report): string[] {
  const reasons: string[] = [];
  const src = report.source as { kind?: string; traces?: { failed?: number; requested?: number }; searches?: { failed?: number } } | undefined;
  if (src?.searches?.failed) reasons.push(`${src.searches.failed} search(es) failed`);
  if (src?.traces?.failed) reasons.push(`${src.traces.failed} of ${src.traces.requested ?? "?"} traces could not be fetched`);
  if (report.summary.inputErrors.length > 0) reasons.push(`${report.summary.inputErrors.length} input(s) could not be read`);
  return reasons;
}

export type { Snapshot };
