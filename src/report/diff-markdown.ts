// Markdown for the report's `delta` section: what changed since the previous run.
import type { DeltaFinding, DeltaSection } from "./diff";
import { mdCode, mdText } from "./markdown-escape";

function pct(value: number | null): string {
  return value === null ? "—" : `${value} %`;
}

function signed(value: number | null, unit = ""): string {
  if (value === null) return "—";
  return value > 0 ? `+${value}${unit}` : value < 0 ? `−${Math.abs(value)}${unit}` : `±0${unit}`;
}

/** "warning → error" when only the severity changed, else the severity. */
export function severityChange(d: DeltaFinding): string {
  return d.previousSeverity !== null && d.previousSeverity !== d.severity ? `${d.previousSeverity} → ${d.severity}` : d.severity;
}

function findingRows(title: string, list: readonly DeltaFinding[]): string[] {
  if (list.length === 0) return [];
  const lines = [`### ${title} (${list.length})`, "", "| Severity | Rule | Service | Subject | Category | Before | Now |", "|---|---|---|---|---|---:|---:|"];
  for (const d of list) {
    const subject = d.subject === null ? "—" : mdCode(d.subject);
    const category = d.category === null ? "—" : mdCode(d.category);
    lines.push(`| ${severityChange(d)} | ${mdCode(d.ruleId)} | ${mdText(d.service)} | ${subject} | ${category} | ${d.previousOccurrences ?? "—"} | ${d.occurrences} |`);
  }
  lines.push("");
  return lines;
}

export function deltaMarkdown(delta: DeltaSection | undefined): string[] {
  if (!delta) return [];
  const f = delta.findings;
  const lines = [
    "## Changes since the previous run",
    "",
    `Compared with the run of ${delta.baseline.generatedAt} (${delta.baseline.traces} traces): ${f.new.length} new, ${f.worsened.length} worsened, ${f.resolved.length} resolved, ${f.unchanged} unchanged finding(s).`,
    "",
    ...findingRows("New", f.new),
    ...findingRows("Worsened", f.worsened),
    ...findingRows("Resolved", f.resolved),
  ];
  const edges = delta.edges.filter((e) => e.deltaPoints !== 0);
  if (edges.length > 0) {
    lines.push("### Coverage per edge", "", "| Caller → callee | Before | Now | Change |", "|---|---:|---:|---:|");
    for (const e of edges) lines.push(`| ${mdText(e.from)} → ${mdText(e.to)} | ${pct(e.before)} | ${pct(e.after)} | ${signed(e.deltaPoints, " pts")} |`);
    lines.push("");
  }
  const scores = delta.scores.filter((s) => s.delta !== 0);
  if (scores.length > 0) {
    lines.push("### Scores", "", "| Service | Before | Now | Change |", "|---|---:|---:|---:|");
    for (const s of scores) lines.push(`| ${mdText(s.service)} | ${s.before ?? "—"} | ${s.after ?? "—"} | ${signed(s.delta)} |`);
    lines.push("");
  }
  return lines;
}
