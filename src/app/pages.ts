// The `GET /` page: each audit's latest report with links to its formats. Static HTML, no script,
// every value escaped; the same strict CSP as the reports.
import { esc } from "../report/html/escape";
import type { IndexEntry } from "../runs/types";

export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STYLE = "body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3rem .8rem;text-align:left}.failed{color:#b00}";

export interface AuditRow {
  audit: string;
  cron: string | null;
  latest: IndexEntry | undefined;
  lastRun: IndexEntry | undefined;
}

function reportCell(entry: IndexEntry | undefined): string {
  if (!entry?.report) return "<td>no report yet</td><td></td>";
  const r = entry.report;
  const id = esc(entry.runId);
  const links = ["html", "md", "json"].map((ext) => `<a href="/api/reports/${id}.${ext}">${ext}</a>`).join(" · ");
  return `<td>${esc(r.generatedAt)}: ${r.traces} traces, ${r.errors} errors, ${r.warnings} warnings, ${r.findings} findings</td><td>${links}</td>`;
}

export function reportsPage(rows: readonly AuditRow[], configProblem: string | undefined): string {
  const body = rows
    .map((row) => {
      const failed = row.lastRun && row.lastRun.state === "failed" ? `<div class="failed">last run ${esc(row.lastRun.runId)} failed: ${esc(row.lastRun.error ?? "")}</div>` : "";
      return `<tr><td><b>${esc(row.audit)}</b>${failed}</td><td>${row.cron ? `<code>${esc(row.cron)}</code>` : "on demand"}</td>${reportCell(row.latest)}</tr>`;
    })
    .join("");
  return [
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">",
    `<title>tracelint reports</title><style>${STYLE}</style></head><body><h1>tracelint: latest reports</h1>`,
    configProblem ? `<p class="failed">Configuration problem: ${esc(configProblem)}</p>` : "",
    rows.length === 0 ? "<p>No audits configured and no reports stored yet.</p>" : `<table><tr><th>Audit</th><th>Schedule</th><th>Latest report</th><th>Formats</th></tr>${body}</table>`,
    "</body></html>",
  ].join("");
}
