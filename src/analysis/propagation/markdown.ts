// Markdown tables for the report's `coverage` section, worst coverage first.
import { mdText } from "../../report/markdown-escape";
import { compareEdges, compareServices } from "./coverage";
import { formatPercent } from "./culprit";
import type { CoverageSection } from "./section";

function cell(r: { propagated: number; total: number }): string {
  return r.total === 0 ? "—" : `${r.propagated}/${r.total} (${formatPercent(r.propagated, r.total)})`;
}

/** The note for calls the bounded analysis did not count (shared by the Markdown and HTML reports). */
export function callsNotCountedNote(count: number): string {
  return `${count} call(s) were not counted: the analysis' call table reached its bounds (many distinct call targets, such as pod IPs). They are in no edge below and in no external calls; an edge made only of such calls is missing, so coverage may be incomplete.`;
}

export function coverageMarkdown(coverage: CoverageSection | undefined): string[] {
  if (!coverage || (coverage.edges.length === 0 && coverage.services.length === 0 && !coverage.callsNotCounted)) return [];
  const lines = ["## Context propagation coverage", ""];
  if (coverage.callsNotCounted) lines.push(`> **Warning:** ${mdText(callsNotCountedNote(coverage.callsNotCounted))}`, "");
  if (coverage.edges.length > 0) {
    lines.push("| Caller → callee | Propagated | Coverage | Split traces |", "|---|---:|---:|---:|");
    for (const e of [...coverage.edges].sort(compareEdges)) {
      const undecided = e.undecided ? ` (+${e.undecided} undecided)` : "";
      const percent = e.total === 0 ? "—" : formatPercent(e.propagated, e.total);
      lines.push(`| ${mdText(e.from)} → ${mdText(e.to)} | ${e.propagated}/${e.total}${undecided} | ${percent} | ${e.splitTraces} |`);
    }
    lines.push("");
    if (coverage.edges.some((e) => e.undecided)) {
      lines.push(
        "Undecided: calls the audit cannot judge (messages consumed after the window, or by a consumer whose linked traces were not sampled; calls to a callee that links instead of continuing, past the analysis' caps); not counted.",
        "",
      );
    }
  }
  if (coverage.services.length > 0) {
    lines.push("| Service | Inbound | Outbound | External calls |", "|---|---:|---:|---:|");
    for (const s of [...coverage.services].sort(compareServices)) {
      lines.push(`| ${mdText(s.service)} | ${cell(s.inbound)} | ${cell(s.outbound)} | ${s.externalCalls} |`);
    }
    lines.push("");
  }
  return lines;
}
