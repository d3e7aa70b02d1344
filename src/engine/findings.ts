// Aggregates reports into findings keyed by (rule, service, subject, category). State is bounded
// by the number of distinct keys (never by traces) and merges across shards by addition.
// Examples (and the message that came with the first of them) are chosen by a fixed order, not by
// arrival, so a report is the same however traces were ordered or an audit was sharded.
import type { FindingExample, Severity } from "./rule";

export const MAX_EXAMPLES = 5;

export interface Finding {
  ruleId: string;
  severity: Severity;
  service: string;
  subject: string | null;
  category: string | null;
  message: string;
  occurrences: number;
  traceCount: number;
  examples: FindingExample[];
  fix?: string;
}

function keyOf(ruleId: string, service: string, subject: string | null, category: string | null): string {
  return JSON.stringify([ruleId, service, subject, category]);
}

export interface AddReport {
  ruleId: string;
  severity: Severity;
  service: string;
  subject: string | null;
  category: string | null;
  message: string;
  occurrences: number;
  traceCount: number;
  example?: FindingExample;
  fix?: string;
}

export class FindingStore {
  readonly #findings = new Map<string, Finding>();
  /** Keys already counted for the trace being checked (per-trace distinct counting). */
  #seenThisTrace: Set<string> | undefined;
  #inTrace = false;

  beginTrace(): void {
    this.#inTrace = true;
  }

  endTrace(): void {
    this.#inTrace = false;
    this.#seenThisTrace = undefined;
  }

  add(report: AddReport): void {
    const key = keyOf(report.ruleId, report.service, report.subject, report.category);
    let traceIncrement = report.traceCount;
    if (this.#inTrace) {
      // Created on the first report of a trace: most traces report nothing.
      this.#seenThisTrace ??= new Set();
      traceIncrement = this.#seenThisTrace.has(key) ? 0 : 1;
      this.#seenThisTrace.add(key);
    }
    const existing = this.#findings.get(key);
    if (!existing) {
      this.#findings.set(key, {
        ruleId: report.ruleId,
        severity: report.severity,
        service: report.service,
        subject: report.subject,
        category: report.category,
        message: report.message,
        occurrences: report.occurrences,
        traceCount: traceIncrement,
        examples: report.example ? [report.example] : [],
        ...(report.fix !== undefined ? { fix: report.fix } : {}),
      });
      return;
    }
    existing.occurrences += report.occurrences;
    existing.traceCount += traceIncrement;
    if (report.example && addExample(existing.examples, report.example)) existing.message = report.message;
    if (existing.fix === undefined && report.fix !== undefined) existing.fix = report.fix;
  }

  merge(findings: readonly Finding[]): void {
    for (const f of findings) {
      const key = keyOf(f.ruleId, f.service, f.subject, f.category);
      const existing = this.#findings.get(key);
      if (!existing) {
        this.#findings.set(key, { ...f, examples: f.examples.slice(0, MAX_EXAMPLES) });
        continue;
      }
      existing.occurrences += f.occurrences;
      existing.traceCount += f.traceCount;
      // A finding's message belongs to its first example; keep the one whose example sorts first.
      const first = f.examples[0];
      const current = existing.examples[0];
      if (first && (!current || compareExamples(first, current) < 0)) existing.message = f.message;
      for (const example of f.examples) addExample(existing.examples, example);
      if (existing.fix === undefined && f.fix !== undefined) existing.fix = f.fix;
    }
  }

  /** Findings sorted by severity, then rule, service, subject, category. */
  list(): Finding[] {
    const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
    return [...this.#findings.values()].sort(
      (a, b) =>
        rank[a.severity] - rank[b.severity] ||
        cmp(a.ruleId, b.ruleId) ||
        cmp(a.service, b.service) ||
        cmp(a.subject ?? "", b.subject ?? "") ||
        cmp(a.category ?? "", b.category ?? ""),
    );
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Examples that pair two traces (split traces) first, then by trace ID and span ID. */
export function compareExamples(a: FindingExample, b: FindingExample): number {
  return (
    Number(a.relatedTraceId === undefined) - Number(b.relatedTraceId === undefined) ||
    cmp(a.traceId, b.traceId) ||
    cmp(a.spanId ?? "", b.spanId ?? "") ||
    cmp(a.relatedTraceId ?? "", b.relatedTraceId ?? "")
  );
}

/** Keeps the MAX_EXAMPLES first examples in compareExamples order; true when `example` is now first. */
function addExample(examples: FindingExample[], example: FindingExample): boolean {
  if (examples.some((e) => e.traceId === example.traceId && e.spanId === example.spanId)) return false;
  let at = examples.length;
  while (at > 0 && compareExamples(example, examples[at - 1]!) < 0) at--;
  if (at >= MAX_EXAMPLES) return false;
  examples.splice(at, 0, example);
  if (examples.length > MAX_EXAMPLES) examples.pop();
  return at === 0;
}
