// The self-contained HTML report: one file, no script, no external resource (a strict CSP says so),
// inline SVG charts. Each section renders only when the report has the data for it.
import { callsNotCountedNote } from "../../analysis/propagation/markdown";
import { redactText } from "../../pii/redact";
import type { DeltaFinding, DeltaSection } from "../diff";
import type { ObjectStorageSource, Report, ReportFinding, TempoQuerySource } from "../schema";
import { coverageBars, formatPct, MAX_BAR_SERVICES, MAX_GRAPH_EDGES, serviceGraph } from "./charts";
import { clip, esc, safeHref } from "./escape";
import { renderFix } from "./fix-text";
import { traceLinker, type TraceLinkOptions } from "./links";
import { STYLE } from "./style";

export interface HtmlReportOptions {
  links?: TraceLinkOptions;
  title?: string;
}

/** No scripts, no network, no forms, no frames: only inline styles and data: images. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STRUCTURE_RULES = new Set([
  "orphan-span", "missing-root", "multiple-roots", "duplicate-span-id", "invalid-span-context",
  "parent-cycle", "clock-skew", "invalid-timestamps", "partial-trace", "root-span-is-client",
  "missing-service-name", "oversized-trace", "span-limits-exceeded", "error-status-mismatch",
]);
const SEVERITIES = ["error", "warning", "info"] as const;

type Link = (traceId: string, spanId?: string | null) => string | undefined;

function sev(severity: string): string {
  return `<span class="sev sev-${esc(severity)}">${esc(severity)}</span>`;
}

function traceRef(link: Link, traceId: string, spanId?: string | null): string {
  const url = link(traceId, spanId);
  const href = url ? safeHref(url) : null;
  const label = `<code>${esc(traceId)}</code>${spanId ? ` span <code>${esc(spanId)}</code>` : ""}`;
  return href ? `<a class="trace-link" href="${href}" rel="noopener noreferrer" target="_blank">${label}</a>` : label;
}

function table(head: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): string {
  const th = head.map((h, i) => `<th${numeric.has(i) ? ' class="num"' : ""}>${h}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.has(i) ? ' class="num"' : ""}>${c}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;
}

function headline(report: Report): string {
  const s = report.summary;
  const card = (n: number | string, label: string, cls = "") => `<div class="card ${cls}"><div class="n">${esc(n)}</div><div class="l">${esc(label)}</div></div>`;
  const bySeverity = SEVERITIES.map((sv) => card(report.findings.filter((f) => f.severity === sv).length, `${sv} findings`, sv));
  const cards = [card(s.traces, "traces"), card(s.spans, "spans"), card(s.services, "services"), ...bySeverity];
  if (s.partialTraces > 0) cards.push(card(s.partialTraces, "partial traces"));
  if (s.inputErrors.length > 0) cards.push(card(s.inputErrors.length, "input errors", "error"));
  if (report.delta) {
    const d = report.delta.findings;
    cards.push(card(d.new.length, "new since baseline", d.new.length > 0 ? "error" : ""), card(d.worsened.length, "worsened", d.worsened.length > 0 ? "warning" : ""), card(d.resolved.length, "resolved"));
  }
  return `<div class="cards" id="headline">${cards.join("")}</div>`;
}

function scoreBadge(score: number, category: string): string {
  return `<span class="badge badge-${esc(category.replace(/ /g, "-"))}" title="${esc(category)}">${esc(score)}</span>`;
}

function scoresSection(report: Report): string {
  const scores = report.scores;
  if (!scores || scores.services.length === 0) return "";
  const delta = new Map(report.delta?.scores.map((d) => [d.service, d.delta]) ?? []);
  const rows = scores.services.map((s) => {
    const d = delta.get(s.service);
    const change = d === undefined || d === null ? '<span class="muted">—</span>' : signed(d, "");
    return [esc(s.service), scoreBadge(s.score, s.category), esc(s.category), s.specScore === null ? "—" : esc(s.specScore), change, s.failedRules.map((r) => `<code>${esc(r)}</code>`).join(" ") || "—"];
  });
  const more = scores.servicesNotListed > 0 ? `<p class="muted">${scores.servicesNotListed} more service(s) not listed.</p>` : "";
  return section("scores", "Instrumentation score by service", `${table(["Service", "Score", "Category", "Spec-rules score", "Change", "Failed rules"], rows, new Set([3, 4]))}${more}<p class="muted">${esc(scores.method)}</p>`);
}

function signed(value: number, unit: string): string {
  if (value === 0) return `<span class="muted">±0${unit}</span>`;
  return `<span class="${value > 0 ? "up" : "down"}">${value > 0 ? "+" : "−"}${esc(Math.abs(value))}${unit}</span>`;
}

function coverageSection(report: Report): string {
  const c = report.coverage;
  if (!c || (c.edges.length === 0 && c.services.length === 0 && !c.callsNotCounted)) return "";
  const parts: string[] = [];
  if (c.callsNotCounted) parts.push(`<p class="calls-not-counted"><strong>Warning:</strong> ${esc(callsNotCountedNote(c.callsNotCounted))}</p>`);
  if (c.services.length > 0) {
    parts.push("<h3>Coverage per service</h3>", coverageBars(c.services));
    if (c.services.length > MAX_BAR_SERVICES) parts.push(`<p class="muted">The chart shows the ${MAX_BAR_SERVICES} worst of ${c.services.length} services; the table lists them all.</p>`);
    const ratio = (r: { propagated: number; total: number }) => (r.total === 0 ? '<span class="muted">—</span>' : `${r.propagated}/${r.total} (${esc(formatPct((r.propagated / r.total) * 100))})`);
    const serviceRows = c.services.map((sv) => [`<bdi>${esc(sv.service)}</bdi>`, ratio(sv.inbound), ratio(sv.outbound), String(sv.externalCalls)]);
    parts.push(table(["Service", "Inbound", "Outbound", "External calls"], serviceRows, new Set([1, 2, 3])));
  }
  if (c.edges.length > 0) {
    parts.push("<h3>Service graph</h3>", '<p class="muted">Red dashed edges lose the trace context on some calls.</p>', serviceGraph(c.edges));
    if (c.edges.length > MAX_GRAPH_EDGES) parts.push(`<p class="muted">The graph shows the ${MAX_GRAPH_EDGES} worst of ${c.edges.length} edges; the table lists them all.</p>`);
    const delta = new Map(report.delta?.edges.map((e) => [`${e.from}\u0000${e.to}`, e.deltaPoints]) ?? []);
    const rows = c.edges.map((e) => {
      const d = delta.get(`${e.from}\u0000${e.to}`);
      return [
        `<bdi>${esc(e.from)}</bdi> → <bdi>${esc(e.to)}</bdi>`,
        `${e.propagated}/${e.total}${e.undecided ? ` <span class="muted" title="calls the audited data cannot judge (messages not yet consumed, calls past the caps); not counted">(+${e.undecided} undecided)</span>` : ""}`,
        esc(formatPct(e.total === 0 ? null : (e.propagated / e.total) * 100)),
        d === undefined || d === null ? '<span class="muted">—</span>' : signed(d, " pts"),
        String(e.splitTraces),
      ];
    });
    parts.push(table(["Caller → callee", "Propagated", "Coverage", "Change", "Split traces"], rows, new Set([1, 2, 3, 4])));
  }
  return section("coverage", "Context propagation", parts.join(""));
}

function splitExamples(report: Report, link: Link): string {
  const rows: string[][] = [];
  const seen = new Set<string>();
  for (const f of report.findings) {
    for (const e of f.examples) {
      // propagation-gap and split-trace often quote the same pair: list it once.
      if (!e.relatedTraceId || seen.has(`${e.traceId}/${e.relatedTraceId}`)) continue;
      seen.add(`${e.traceId}/${e.relatedTraceId}`);
      rows.push([esc(f.subject ?? f.service), `<code>${esc(f.ruleId)}</code>`, traceRef(link, e.traceId, e.spanId), traceRef(link, e.relatedTraceId, e.relatedSpanId ?? null)]);
    }
  }
  if (rows.length === 0) return "";
  return section("split-traces", "Split traces", `<p class="muted">Each row is one call whose callee started a new trace: the caller's trace and the trace the callee began.</p>${table(["Edge", "Rule", "Caller's trace (client span)", "Callee's new trace (root span)"], rows)}`);
}

function cardinalitySection(report: Report, link: Link): string {
  const offenders = report.findings.filter((f) => f.ruleId === "high-cardinality-span-name");
  if (offenders.length === 0) return "";
  const rows = offenders.map((f) => [
    esc(f.service),
    esc(f.category ?? "—"),
    `<code>${esc(f.subject ?? "—")}</code>`,
    String(f.occurrences),
    f.examples.map((e) => (e.evidence ? `<code>${esc(clip(redactText(e.evidence), 80))}</code>` : traceRef(link, e.traceId, e.spanId))).join("<br>") || "—",
  ]);
  return section("cardinality", "High-cardinality span names", `${table(["Service", "Span kind", "Suggested template", "Spans", "Example names"], rows, new Set([3]))}<p class="muted">The fix for each, with a Collector snippet, is under “All findings”.</p>`);
}

function piiSection(report: Report): string {
  const pii = report.findings.filter((f) => f.ruleId === "pii-in-attributes");
  if (pii.length === 0) return "";
  const rows = pii.map((f) => [
    esc(f.service),
    `<code>${esc(f.subject ?? "—")}</code>`,
    esc(f.category ?? "—"),
    String(f.occurrences),
    String(f.traceCount),
    [...new Set(f.examples.map((e) => e.evidence).filter((e): e is string => Boolean(e)))].map((e) => `<code>${esc(redactText(e))}</code>`).join(" ") || "—",
  ]);
  return section("pii", "Personal data in attributes", `${table(["Service", "Attribute", "Kind", "Occurrences", "Traces", "Masked evidence"], rows, new Set([3, 4]))}<p class="muted">Evidence is masked; raw values are never stored in the report.</p>`);
}

function structureSection(report: Report): string {
  const rows = report.findings
    .filter((f) => STRUCTURE_RULES.has(f.ruleId))
    .map((f) => [sev(f.severity), `<code>${esc(f.ruleId)}</code>`, esc(f.service), esc(f.category ?? "—"), String(f.occurrences), String(f.traceCount)]);
  if (rows.length === 0) return "";
  return section("structure", "Trace structure", table(["Severity", "Rule", "Service", "Cause", "Occurrences", "Traces"], rows, new Set([4, 5])));
}

/** Messages quote keys and names in `backticks` (Markdown style): show those as code. */
function messageHtml(message: string): string {
  return esc(message).replace(/&#96;(.+?)&#96;/g, "<code>$1</code>");
}

function findingCard(f: ReportFinding, link: Link, change: string | undefined): string {
  const about = [f.subject !== null ? `subject <code>${esc(f.subject)}</code>` : "", f.category !== null ? `category <code>${esc(f.category)}</code>` : ""].filter(Boolean).join(", ");
  const examples = f.examples.map((e) => {
    const parts = [traceRef(link, e.traceId, e.spanId)];
    if (e.relatedTraceId) parts.push(`↔ ${traceRef(link, e.relatedTraceId, e.relatedSpanId ?? null)}`);
    if (e.evidence) parts.push(`evidence <code>${esc(clip(redactText(e.evidence), 120))}</code>`);
    return `<li>${parts.join(" ")}</li>`;
  });
  return [
    `<details class="finding finding-${esc(f.severity)}"><summary>${sev(f.severity)} <code>${esc(f.ruleId)}</code> in <strong>${esc(f.service)}</strong>${about ? ` (${about})` : ""}${change ? ` <span class="sev sev-warning">${esc(change)}</span>` : ""} · ${f.occurrences} occurrence(s) in ${f.traceCount} trace(s)</summary>`,
    `<div class="msg">${messageHtml(f.message)}</div>`,
    examples.length > 0 ? `<div>Example traces:</div><ul class="examples">${examples.join("")}</ul>` : "",
    f.fix ? `<div class="fix"><strong>How to fix</strong>${renderFix(f.fix)}</div>` : "",
    "</details>",
  ].join("");
}

/**
 * Most findings rendered under "All findings" (and rows per table of changes): the first ones in
 * the report's order (errors first). Each card carries its examples and fix, so an uncapped list
 * of thousands of findings made a page of tens of MB that a browser took many seconds to open.
 */
export const MAX_HTML_FINDINGS = 500;

/** The note under a capped list: how many are not shown, and where they all are. */
function notShownNote(shown: number, total: number, what: string): string {
  if (total <= shown) return "";
  return `<p class="not-shown muted"><strong>${total - shown} of ${total} ${esc(what)} not shown</strong> (the page lists the first ${shown}, most severe first); the JSON and Markdown reports have all of them.</p>`;
}

function findingsSection(report: Report, link: Link): string {
  if (report.findings.length === 0) return section("findings", "All findings", "<p>No findings.</p>");
  const changes = new Map<string, string>();
  for (const d of report.delta?.findings.new ?? []) changes.set(`${d.ruleId}\u0000${d.service}\u0000${d.subject}\u0000${d.category}`, "new");
  for (const d of report.delta?.findings.worsened ?? []) changes.set(`${d.ruleId}\u0000${d.service}\u0000${d.subject}\u0000${d.category}`, "worsened");
  const shown = report.findings.slice(0, MAX_HTML_FINDINGS);
  const cards = shown.map((f) => findingCard(f, link, changes.get(`${f.ruleId}\u0000${f.service}\u0000${f.subject}\u0000${f.category}`)));
  const note = notShownNote(shown.length, report.findings.length, "findings");
  return section("findings", `All findings (${report.findings.length})`, note + cards.join("") + note);
}

function deltaRows(list: readonly DeltaFinding[]): string[][] {
  return list.slice(0, MAX_HTML_FINDINGS).map((d) => [
    d.previousSeverity !== null && d.previousSeverity !== d.severity ? `${sev(d.previousSeverity)} → ${sev(d.severity)}` : sev(d.severity),
    `<code>${esc(d.ruleId)}</code>`,
    esc(d.service),
    d.subject === null ? "—" : `<code>${esc(d.subject)}</code>`,
    d.category === null ? "—" : `<code>${esc(d.category)}</code>`,
    d.previousOccurrences === null ? "—" : String(d.previousOccurrences),
    String(d.occurrences),
  ]);
}

function deltaSection(delta: DeltaSection | undefined): string {
  if (!delta) return "";
  const f = delta.findings;
  const head = ["Severity", "Rule", "Service", "Subject", "Category", "Before", "Now"];
  const parts = [`<p class="muted">Compared with the run of ${esc(delta.baseline.generatedAt)} (${delta.baseline.traces} traces): ${f.new.length} new, ${f.worsened.length} worsened, ${f.resolved.length} resolved, ${f.unchanged} unchanged.</p>`];
  const changed = (title: string, list: readonly DeltaFinding[], what: string) => {
    if (list.length > 0) parts.push(`<h3>${title}</h3>`, table(head, deltaRows(list), new Set([5, 6])), notShownNote(Math.min(list.length, MAX_HTML_FINDINGS), list.length, what));
  };
  changed("New findings", f.new, "new findings");
  changed("Worsened", f.worsened, "worsened findings");
  changed("Resolved", f.resolved, "resolved findings");
  const edges = delta.edges.filter((e) => e.deltaPoints !== 0);
  if (edges.length > 0) {
    parts.push("<h3>Coverage changes per edge</h3>", table(["Caller → callee", "Before", "Now", "Change"], edges.map((e) => [`<bdi>${esc(e.from)}</bdi> → <bdi>${esc(e.to)}</bdi>`, esc(formatPct(e.before)), esc(formatPct(e.after)), e.deltaPoints === null ? "—" : signed(e.deltaPoints, " pts")]), new Set([1, 2, 3])));
  }
  const scores = delta.scores.filter((s) => s.delta !== 0);
  if (scores.length > 0) {
    parts.push("<h3>Score changes</h3>", table(["Service", "Before", "Now", "Change"], scores.map((s) => [esc(s.service), s.before === null ? "—" : String(s.before), s.after === null ? "—" : String(s.after), s.delta === null ? "—" : signed(s.delta, "")]), new Set([1, 2, 3])));
  }
  return section("changes", "Changes since the previous run", parts.join(""));
}

function inputErrorsSection(report: Report): string {
  const errors = report.summary.inputErrors;
  if (errors.length === 0) return "";
  return section("input-errors", `Input errors (${errors.length})`, table(["Input", "Problem"], errors.map((e) => [`<code>${esc(e.file)}</code>`, esc(e.message)])));
}

function sourceLine(report: Report): string {
  const src = report.source;
  if (!src) return "";
  if (src.kind === "tempo" && "window" in src) {
    const s = src as Extract<Report["source"], { kind: "tempo"; window: unknown }>;
    return ` · Tempo ${esc(s.url)}, ${esc(s.window.start)} – ${esc(s.window.end)}, ${s.traces.fetched}/${s.traces.requested} traces fetched`;
  }
  if ((src.kind === "tempo-blocks" || src.kind === "otlp-archive") && "objectsRead" in src) {
    const o = src as ObjectStorageSource;
    return ` · ${o.kind === "tempo-blocks" ? "Tempo blocks" : "OTLP archive"} ${esc(o.location)}, ${esc(o.window.start)} – ${esc(o.window.end)}, ${o.objectsRead} object(s) read, ${o.objectsFailed} failed`;
  }
  return ` · source: ${esc(src.kind)}`;
}

/** Most failures listed on the page; the JSON report keeps them all. */
const MAX_SOURCE_FAILURES = 20;

/**
 * How the traces were selected and what could not be read (audits only): without it a reader of
 * the page cannot tell that findings rest on 30 of 40 sampled traces.
 */
function sourceSection(report: Report): string {
  const src = report.source;
  if (!src) return "";
  const failures = (rows: string[][]) =>
    rows.length === 0 ? "" : `<h3>Not read</h3>${table(["Item", "Reason"], rows.slice(0, MAX_SOURCE_FAILURES))}${rows.length > MAX_SOURCE_FAILURES ? `<p class="muted">${rows.length - MAX_SOURCE_FAILURES} more in the JSON report.</p>` : ""}`;
  if (src.kind === "tempo" && "traces" in src) {
    const q = src as TempoQuerySource;
    const t = q.traces;
    const sampling = `Up to ${q.sampling.perService} trace(s) per service for ${q.sampling.servicesSampled.length} of ${q.sampling.servicesDiscovered} service(s), ${q.sampling.windowSample} window-wide${q.sampling.query !== null ? `, ${q.sampling.windowSample} matching <code>${esc(q.sampling.query)}</code>` : ""}; ${q.searches.run} search(es), ${q.searches.failed} failed.`;
    return section(
      "source",
      "Source",
      `<p>Tempo <code>${esc(q.url)}</code>${q.tenant !== null ? `, tenant <code>${esc(q.tenant)}</code>` : ""}, window ${esc(q.window.start)} – ${esc(q.window.end)}.</p><p class="muted">${sampling}</p>` +
        table(["Requested", "Fetched", "Partial", "Not found", "Failed"], [[t.requested, t.fetched, t.partial, t.notFound, t.failed].map(String)], new Set([0, 1, 2, 3, 4])) +
        failures(q.failures.map((f) => [`<code>${esc(f.traceId)}</code>`, esc(f.reason)])),
    );
  }
  if ((src.kind === "tempo-blocks" || src.kind === "otlp-archive") && "objectsRead" in src) {
    const o = src as ObjectStorageSource;
    return section(
      "source",
      "Source",
      `<p>${o.kind === "tempo-blocks" ? "Tempo blocks" : "OTLP archive"} <code>${esc(o.location)}</code>${o.tenant !== undefined ? `, tenant <code>${esc(o.tenant)}</code>` : ""}, window ${esc(o.window.start)} – ${esc(o.window.end)}.</p>` +
        table(["Objects read", "Failed", "Bytes read", "List requests"], [[o.objectsRead, o.objectsFailed, o.bytesRead, o.listRequests].map(String)], new Set([0, 1, 2, 3])) +
        failures(o.failures.map((f) => [`<code>${esc(f.key)}</code>`, esc(f.message)])),
    );
  }
  return "";
}

function rulesFooter(report: Report): string {
  return `<footer>Rules run: ${report.rules.map((r) => esc(r.id)).join(", ") || "none"}. Generated by tracelint ${esc(report.tool.version)}.</footer>`;
}

/** Renders the report as one self-contained HTML page. */
export function renderHtml(report: Report, options: HtmlReportOptions = {}): string {
  const link = traceLinker(options.links);
  const title = options.title ?? "tracelint report";
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(CONTENT_SECURITY_POLICY)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body>`,
    `<header class="top"><h1>${esc(title)}</h1><div class="meta">Generated ${esc(report.generatedAt)} · ${report.summary.files} input(s)${sourceLine(report)}</div></header>`,
    "<main>",
    headline(report),
    deltaSection(report.delta),
    scoresSection(report),
    coverageSection(report),
    splitExamples(report, link),
    cardinalitySection(report, link),
    piiSection(report),
    structureSection(report),
    findingsSection(report, link),
    inputErrorsSection(report),
    sourceSection(report),
    "</main>",
    rulesFooter(report),
    "</body></html>",
    "",
  ].join("\n");
}
