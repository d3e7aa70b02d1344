// Human-readable Markdown report: headline numbers, a table per rule and per service, then each
// finding with its examples and fix.
import type { ObjectStorageSource, Report, ReportFinding, TempoQuerySource } from "./schema";
import { mdCode, mdText } from "./markdown-escape";
import { coverageMarkdown } from "../analysis/propagation/markdown";
import { deltaMarkdown } from "./diff-markdown";

type Severity = ReportFinding["severity"];
const SEVERITY_ICON: Record<Severity, string> = { error: "🔴 error", warning: "🟠 warning", info: "🔵 info" };

function count(findings: readonly ReportFinding[], severity: Severity): number {
  return findings.filter((f) => f.severity === severity).length;
}

/**
 * Distinct traces among a rule's findings. Findings count their traces separately and may share
 * some, so the exact number is only known to lie between the largest finding's count and the sum
 * (capped at the traces analysed); a range is shown when those differ.
 */
function ruleTraces(most: number, sum: number, analysed: number): { text: string; range: boolean } {
  const high = Math.min(sum, analysed);
  return high <= most ? { text: String(most), range: false } : { text: `${most}–${high}`, range: true };
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** One row per (rule, severity): a rule's findings may differ in severity (info exact copies next to error duplicates). */
function ruleTable(report: Report): string[] {
  const rows = new Map<string, { id: string; severity: Severity; findings: number; occurrences: number; mostTraces: number; sumTraces: number }>();
  for (const f of report.findings) {
    const key = `${f.ruleId}\u0000${f.severity}`;
    const row = rows.get(key) ?? { id: f.ruleId, severity: f.severity, findings: 0, occurrences: 0, mostTraces: 0, sumTraces: 0 };
    row.findings++;
    row.occurrences += f.occurrences;
    row.mostTraces = Math.max(row.mostTraces, f.traceCount);
    row.sumTraces += f.traceCount;
    rows.set(key, row);
  }
  if (rows.size === 0) return ["No findings. ✅", ""];
  const lines = ["## Findings by rule", "", "| Rule | Severity | Findings | Occurrences | Traces |", "|---|---|---:|---:|---:|"];
  let ranges = false;
  const sorted = [...rows.values()].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.occurrences - a.occurrences);
  for (const r of sorted) {
    const traces = ruleTraces(r.mostTraces, r.sumTraces, report.summary.traces);
    ranges ||= traces.range;
    lines.push(`| ${mdCode(r.id)} | ${SEVERITY_ICON[r.severity]} | ${r.findings} | ${r.occurrences} | ${traces.text} |`);
  }
  lines.push("");
  if (ranges) lines.push("A range of traces: the rule's findings may share traces, so the number of distinct traces lies in it.", "");
  return lines;
}

function serviceTable(report: Report): string[] {
  const rows = new Map<string, { error: number; warning: number; info: number; occurrences: number }>();
  for (const f of report.findings) {
    const row = rows.get(f.service) ?? { error: 0, warning: 0, info: 0, occurrences: 0 };
    row[f.severity]++;
    row.occurrences += f.occurrences;
    rows.set(f.service, row);
  }
  if (rows.size === 0) return [];
  const lines = ["## Findings by service", "", "| Service | Errors | Warnings | Info | Occurrences |", "|---|---:|---:|---:|---:|"];
  const sorted = [...rows].sort((a, b) => b[1].error - a[1].error || b[1].warning - a[1].warning || b[1].occurrences - a[1].occurrences);
  for (const [service, r] of sorted) {
    lines.push(`| ${mdText(service)} | ${r.error} | ${r.warning} | ${r.info} | ${r.occurrences} |`);
  }
  lines.push("");
  return lines;
}

function scoreTable(report: Report): string[] {
  const scores = report.scores;
  if (!scores || scores.services.length === 0) return [];
  const lines = ["## Instrumentation score by service", "", "| Service | Score | Category | Spec-rules score | Failed rules |", "|---|---:|---|---:|---|"];
  for (const s of scores.services) {
    const failed = s.failedRules.map(mdCode).join(", ") || "—";
    lines.push(`| ${mdText(s.service)} | ${s.score} | ${s.category} | ${s.specScore ?? "—"} | ${failed} |`);
  }
  if (scores.servicesNotListed > 0) lines.push("", `${scores.servicesNotListed} more service(s) not listed.`);
  const mapped = scores.rules.filter((r) => r.specRule !== null).map((r) => `${r.specRule} → ${mdCode(r.ruleId)}`);
  lines.push("", `${mdText(scores.method)} Spec rules evaluated: ${mapped.join(", ") || "none"}; not implemented: ${scores.specRulesNotImplemented.join(", ")}.`, "");
  return lines;
}

function findingDetails(report: Report): string[] {
  if (report.findings.length === 0) return [];
  const lines = ["## Details", ""];
  // One heading per rule, in the order rules first appear (findings are sorted by severity, so a
  // rule with findings of two severities would otherwise get two headings).
  const byRule = new Map<string, ReportFinding[]>();
  for (const f of report.findings) {
    const list = byRule.get(f.ruleId);
    if (list) list.push(f);
    else byRule.set(f.ruleId, [f]);
  }
  for (const [ruleId, findings] of byRule) {
    // A blank line ends the previous rule's list, so the heading is not read as list text.
    if (lines.at(-1) !== "") lines.push("");
    lines.push(`### ${mdText(ruleId)}`, "");
    for (const f of findings) lines.push(...findingLines(f));
  }
  lines.push("");
  return lines;
}

/** One finding as a list item with its counts, examples and fix. */
function findingLines(f: ReportFinding): string[] {
  const about = [f.subject !== null ? `subject ${mdCode(f.subject)}` : "", f.category !== null ? `category ${mdCode(f.category)}` : ""]
    .filter(Boolean)
    .join(", ");
  const lines = [
    `- **${SEVERITY_ICON[f.severity]}** in **${mdText(f.service)}**${about ? ` (${about})` : ""}: ${mdText(f.message)}`,
    `  - ${f.occurrences} occurrence(s) in ${f.traceCount} trace(s)`,
  ];
  if (f.examples.length > 0) {
    const examples = f.examples.map((e) => {
      const parts = [`trace ${mdCode(e.traceId)}`];
      if (e.spanId) parts.push(`span ${mdCode(e.spanId)}`);
      if (e.relatedTraceId) parts.push(`↔ trace ${mdCode(e.relatedTraceId)}`);
      if (e.evidence) parts.push(`evidence ${mdCode(e.evidence)}`);
      return parts.join(" ");
    });
    lines.push(`  - examples: ${examples.join("; ")}`);
  }
  if (f.fix) lines.push(`  - fix: ${f.fix.split("\n").join("\n    ")}`);
  return lines;
}

function inputErrors(report: Report): string[] {
  const errors = report.summary.inputErrors;
  if (errors.length === 0) return [];
  const lines = [`## Input errors (${errors.length})`, "", "These inputs (or parts of them) could not be read; everything else was analysed.", ""];
  for (const e of errors) lines.push(`- ${mdCode(e.file)}: ${mdText(e.message)}`);
  lines.push("");
  return lines;
}

/** "300 s" reads better as "5 min". */
function seconds(value: number): string {
  if (value >= 3600 && value % 3600 === 0) return `${value / 3600} h`;
  if (value >= 60 && value % 60 === 0) return `${value / 60} min`;
  return `${value} s`;
}

function bytes(value: number): string {
  if (value >= 1024 * 1024) return `${(value / (1024 * 1024)).toFixed(1)} MiB`;
  if (value >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${value} B`;
}

/** What `audit --blocks` / `--otlp-archive` read from the bucket, and which objects failed. */
function objectStorageSource(report: Report): string[] {
  const src = report.source;
  if (!src || (src.kind !== "tempo-blocks" && src.kind !== "otlp-archive") || !("objectsRead" in src)) return [];
  const o = src as ObjectStorageSource;
  const what = o.kind === "tempo-blocks" ? "Tempo blocks" : "OTLP archive";
  const sample = o.sample ? `, sampled ${Number((o.sample.fraction * 100).toFixed(2))} % of ${o.sample.unit}` : "";
  const lines = [
    "## Source",
    "",
    `${what} ${mdCode(o.location)}${o.tenant !== undefined ? `, tenant ${mdCode(o.tenant)}` : ""}, window ${o.window.start} – ${o.window.end}${sample}.`,
    "",
    `${o.objectsRead} object(s) read, ${o.objectsFailed} failed, ${bytes(o.bytesRead)} in ${o.listRequests} list request(s)${o.skipped.tracesOutsideWindow > 0 ? `; ${o.skipped.tracesOutsideWindow} trace(s) outside the window skipped` : ""}.`,
    "",
  ];
  for (const f of o.failures.slice(0, 20)) lines.push(`- ${mdCode(f.key)}: ${mdText(f.message)}`);
  if (o.failures.length > 20) lines.push(`- … and ${o.failures.length - 20} more (see the JSON report)`);
  if (o.failures.length > 0) lines.push("");
  return lines;
}

/** How the traces were sampled from Tempo's query API (`audit --tempo`); other sources are skipped. */
function tempoSource(report: Report): string[] {
  const src = report.source;
  if (!src || src.kind !== "tempo" || !("traces" in src)) return [];
  const t = (src as TempoQuerySource).traces;
  const q = src as TempoQuerySource;
  const lines = [
    "## Source",
    "",
    `Tempo ${mdCode(q.url)}${q.tenant !== null ? `, tenant ${mdCode(q.tenant)}` : ""}, window ${q.window.start} – ${q.window.end} (ends ${seconds(q.window.ingestionDelaySeconds)} before the audit so traces are complete).`,
    "",
    `Sampling: up to ${q.sampling.perService} trace(s) per service for ${q.sampling.servicesSampled.length} of ${q.sampling.servicesDiscovered} service(s), ${q.sampling.windowSample} window-wide${q.sampling.query !== null ? ` and ${q.sampling.windowSample} matching ${mdCode(q.sampling.query)}` : ""}, each spread over ${q.sampling.slices} time slice(s); ${q.searches.run} search(es), ${q.searches.failed} failed${q.searches.incomplete > 0 ? `, ${q.searches.incomplete} incomplete` : ""}.`,
    "",
    "| Requested | Fetched | Partial | Not found | Failed |",
    "|---:|---:|---:|---:|---:|",
    `| ${t.requested} | ${t.fetched} | ${t.partial} | ${t.notFound} | ${t.failed} |`,
    "",
  ];
  for (const f of q.failures) lines.push(`- trace ${mdCode(f.traceId)}: ${mdText(f.reason)}`);
  if (q.failures.length > 0) lines.push("");
  return lines;
}

export function renderMarkdown(report: Report): string {
  const s = report.summary;
  const lines = [
    "# tracelint report",
    "",
    `Generated ${report.generatedAt} by tracelint ${report.tool.version}.`,
    "",
    "| Inputs | Traces | Spans | Services | Partial traces | Input errors | Errors | Warnings | Info |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${s.files} | ${s.traces} | ${s.spans} | ${s.services} | ${s.partialTraces} | ${s.inputErrors.length} | ${count(report.findings, "error")} | ${count(report.findings, "warning")} | ${count(report.findings, "info")} |`,
    "",
    ...tempoSource(report),
    ...objectStorageSource(report),
    ...deltaMarkdown(report.delta),
    ...ruleTable(report),
    ...serviceTable(report),
    ...scoreTable(report),
    ...coverageMarkdown(report.coverage),
    ...findingDetails(report),
    ...inputErrors(report),
  ];
  return lines.join("\n");
}
