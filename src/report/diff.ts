// Run-over-run comparison. A finding is identified by its fingerprint (rule, service, subject,
// category), never by its message or counts, so the same defect keeps its identity across runs.
// Comparisons work on a compact snapshot of a report, which the alert state also keeps, so a run can
// be compared with the previous one without storing the whole previous report.
import { z } from "zod";
import type { Report, ReportFinding } from "./schema";

const SEVERITY_RANK = { info: 0, warning: 1, error: 2 } as const;
type Severity = keyof typeof SEVERITY_RANK;

/**
 * Occurrences per audited trace must grow by at least this factor (and by more than one occurrence)
 * for a finding to count as worsened. A ratio, not a count: runs sample different numbers of traces.
 */
export const WORSENED_RATE_FACTOR = 1.5;

/** FNV-1a 64-bit over UTF-16 code units, as 16 hex digits: stable, synchronous, runtime-neutral. */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

export type FindingIdentity = Pick<ReportFinding, "ruleId" | "service" | "subject" | "category">;

/** The stable identity of a finding across runs. */
export function findingFingerprint(f: FindingIdentity): string {
  return fnv1a64(JSON.stringify([f.ruleId, f.service, f.subject, f.category]));
}

export const SnapshotSchema = z
  .object({
    generatedAt: z.string(),
    traces: z.number().int().nonnegative(),
    findings: z.record(
      z.string(),
      z
        .object({
          ruleId: z.string(),
          service: z.string(),
          subject: z.string().nullable(),
          category: z.string().nullable(),
          severity: z.enum(["error", "warning", "info"]),
          occurrences: z.number().int().nonnegative(),
        })
        .strict(),
    ),
    scores: z.record(z.string(), z.number()),
    /** `from\u0000to` → [propagated, total]. */
    edges: z.record(z.string(), z.tuple([z.number(), z.number()])),
    /** service → inbound/outbound [propagated, total]. */
    services: z.record(z.string(), z.object({ inbound: z.tuple([z.number(), z.number()]), outbound: z.tuple([z.number(), z.number()]) }).strict()),
  })
  .strict();
export type Snapshot = z.infer<typeof SnapshotSchema>;

const EDGE_SEPARATOR = "\u0000";

/** What a later run needs to know about this one. */
export function snapshotOf(report: Report): Snapshot {
  const findings: Snapshot["findings"] = {};
  for (const f of report.findings) {
    findings[findingFingerprint(f)] = {
      ruleId: f.ruleId,
      service: f.service,
      subject: f.subject,
      category: f.category,
      severity: f.severity,
      occurrences: f.occurrences,
    };
  }
  const scores: Snapshot["scores"] = {};
  for (const s of report.scores?.services ?? []) scores[s.service] = s.score;
  const edges: Snapshot["edges"] = {};
  for (const e of report.coverage?.edges ?? []) edges[`${e.from}${EDGE_SEPARATOR}${e.to}`] = [e.propagated, e.total];
  const services: Snapshot["services"] = {};
  for (const s of report.coverage?.services ?? []) {
    services[s.service] = { inbound: [s.inbound.propagated, s.inbound.total], outbound: [s.outbound.propagated, s.outbound.total] };
  }
  return { generatedAt: report.generatedAt, traces: report.summary.traces, findings, scores, edges, services };
}

const DeltaFindingSchema = z
  .object({
    fingerprint: z.string(),
    ruleId: z.string(),
    service: z.string(),
    subject: z.string().nullable(),
    category: z.string().nullable(),
    severity: z.enum(["error", "warning", "info"]).describe("Severity in the newer run (the older one for resolved findings)."),
    previousSeverity: z.enum(["error", "warning", "info"]).nullable(),
    occurrences: z.number().int().nonnegative(),
    previousOccurrences: z.number().int().nonnegative().nullable(),
  })
  .strict();
export type DeltaFinding = z.infer<typeof DeltaFindingSchema>;

/** Coverage in percent (0–100, one decimal) or null when there were no calls. */
const PercentSchema = z.number().min(0).max(100).nullable();

export const DeltaSectionSchema = z
  .object({
    baseline: z
      .object({ generatedAt: z.string(), traces: z.number().int().nonnegative() })
      .strict()
      .describe("The earlier run this report is compared with."),
    findings: z
      .object({
        new: z.array(DeltaFindingSchema),
        resolved: z.array(DeltaFindingSchema),
        worsened: z
          .array(DeltaFindingSchema)
          .describe(`Severity raised, or occurrences per audited trace up ${WORSENED_RATE_FACTOR}× or more (and by more than one).`),
        unchanged: z.number().int().nonnegative(),
      })
      .strict(),
    scores: z
      .array(z.object({ service: z.string(), before: z.number().nullable(), after: z.number().nullable(), delta: z.number().nullable() }).strict())
      .describe("Per service; biggest drop first. null before/after: the service was not scored in that run."),
    edges: z
      .array(z.object({ from: z.string(), to: z.string(), before: PercentSchema, after: PercentSchema, deltaPoints: z.number().nullable() }).strict())
      .describe("Propagation coverage per caller→callee edge in percentage points; biggest drop first."),
    services: z
      .array(
        z
          .object({
            service: z.string(),
            inboundBefore: PercentSchema,
            inboundAfter: PercentSchema,
            outboundBefore: PercentSchema,
            outboundAfter: PercentSchema,
          })
          .strict(),
      )
      .describe("Propagation coverage per service, when either run measured it."),
  })
  .strict()
  .describe("Run-over-run changes against an earlier report of the same audit (`tracelint diff`).");
export type DeltaSection = z.infer<typeof DeltaSectionSchema>;

function percent(pair: readonly [number, number] | undefined): number | null {
  if (!pair || pair[1] === 0) return null;
  return Math.round((pair[0] / pair[1]) * 1000) / 10;
}

function pointsDelta(before: number | null, after: number | null): number | null {
  return before === null || after === null ? null : Math.round((after - before) * 10) / 10;
}

function isWorse(before: Snapshot["findings"][string], after: Snapshot["findings"][string], tracesBefore: number, tracesAfter: number): boolean {
  if (SEVERITY_RANK[after.severity as Severity] > SEVERITY_RANK[before.severity as Severity]) return true;
  if (after.occurrences - before.occurrences <= 1) return false;
  const rateBefore = before.occurrences / Math.max(tracesBefore, 1);
  const rateAfter = after.occurrences / Math.max(tracesAfter, 1);
  return rateAfter >= rateBefore * WORSENED_RATE_FACTOR;
}

function byImportance(a: DeltaFinding, b: DeltaFinding): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    b.occurrences - a.occurrences ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.service.localeCompare(b.service) ||
    a.fingerprint.localeCompare(b.fingerprint)
  );
}

/** Changes from `before` to `after`. */
export function diffSnapshots(before: Snapshot, after: Snapshot): DeltaSection {
  const added: DeltaFinding[] = [];
  const resolved: DeltaFinding[] = [];
  const worsened: DeltaFinding[] = [];
  let unchanged = 0;
  for (const [fingerprint, f] of Object.entries(after.findings)) {
    const old = before.findings[fingerprint];
    const entry: DeltaFinding = {
      fingerprint,
      ruleId: f.ruleId,
      service: f.service,
      subject: f.subject,
      category: f.category,
      severity: f.severity,
      previousSeverity: old?.severity ?? null,
      occurrences: f.occurrences,
      previousOccurrences: old?.occurrences ?? null,
    };
    if (!old) added.push(entry);
    else if (isWorse(old, f, before.traces, after.traces)) worsened.push(entry);
    else unchanged++;
  }
  for (const [fingerprint, f] of Object.entries(before.findings)) {
    if (after.findings[fingerprint]) continue;
    resolved.push({ fingerprint, ruleId: f.ruleId, service: f.service, subject: f.subject, category: f.category, severity: f.severity, previousSeverity: f.severity, occurrences: 0, previousOccurrences: f.occurrences });
  }

  const scoreServices = new Set([...Object.keys(before.scores), ...Object.keys(after.scores)]);
  const scores = [...scoreServices]
    .map((service) => {
      const b = before.scores[service] ?? null;
      const a = after.scores[service] ?? null;
      return { service, before: b, after: a, delta: a === null || b === null ? null : a - b };
    })
    .sort((x, y) => (x.delta ?? 0) - (y.delta ?? 0) || x.service.localeCompare(y.service));

  const edgeKeys = new Set([...Object.keys(before.edges), ...Object.keys(after.edges)]);
  const edges = [...edgeKeys]
    .map((key) => {
      const [from = "", to = ""] = key.split(EDGE_SEPARATOR);
      const b = percent(before.edges[key]);
      const a = percent(after.edges[key]);
      return { from, to, before: b, after: a, deltaPoints: pointsDelta(b, a) };
    })
    .sort((x, y) => (x.deltaPoints ?? 0) - (y.deltaPoints ?? 0) || x.from.localeCompare(y.from) || x.to.localeCompare(y.to));

  const serviceKeys = new Set([...Object.keys(before.services), ...Object.keys(after.services)]);
  const services = [...serviceKeys].sort().map((service) => ({
    service,
    inboundBefore: percent(before.services[service]?.inbound),
    inboundAfter: percent(after.services[service]?.inbound),
    outboundBefore: percent(before.services[service]?.outbound),
    outboundAfter: percent(after.services[service]?.outbound),
  }));

  return {
    baseline: { generatedAt: before.generatedAt, traces: before.traces },
    findings: { new: added.sort(byImportance), resolved: resolved.sort(byImportance), worsened: worsened.sort(byImportance), unchanged },
    scores,
    edges,
    services,
  };
}

/** Changes from the `before` report to the `after` report. */
export function diffReports(before: Report, after: Report): DeltaSection {
  return diffSnapshots(snapshotOf(before), snapshotOf(after));
}
