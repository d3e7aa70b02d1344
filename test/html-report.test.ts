// The HTML report rendered from a real SDK-recorded estate: sections present with the right
// numbers, trace links, CSP, and hostile trace strings escaped everywhere (checked on the markup
// here; the browser test checks nothing executes).
import { describe, expect, it } from "vitest";
import { diffReports } from "../src/report/diff";
import { CONTENT_SECURITY_POLICY, renderHtml } from "../src/report/html/index";
import { MAX_HTML_FINDINGS } from "../src/report/html/page";
import type { Report } from "../src/report/schema";
import { estateReport, HOSTILE, RAW_CARD, RAW_EMAIL } from "./support/report-estate";

const healthy = await estateReport({ fraudBroken: false, cardinality: false, pii: false, hostile: false });
const broken = await estateReport({ fraudBroken: true, cardinality: true, pii: true, hostile: true }, new Date("2026-03-02T10:00:00Z"));
const report: Report = { ...broken, delta: diffReports(healthy, broken) };
const html = renderHtml(report);

function count(pattern: RegExp): number {
  return html.match(pattern)?.length ?? 0;
}

describe("HTML report", () => {
  it("is one self-contained page: strict CSP, no script, no external resource", () => {
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY.replace(/'/g, "&#39;")}">`);
    expect(CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none';/);
    expect(html).not.toMatch(/<script|<link|<iframe|<object|<embed|@import|url\((?!#arrow-)/i);
    expect(html).not.toMatch(/\s(src|srcset)=/i);
  });

  it("escapes hostile service names, span names and attribute keys everywhere", () => {
    expect(html).not.toContain("<script>window");
    expect(html).not.toContain('<img src=x onerror');
    expect(html).not.toMatch(/href="javascript:/i);
    expect(html).toContain("&lt;script&gt;window.__pwned=1&lt;/script&gt;&quot;svc&#39;");
    expect(html).toContain("javascript:window.__pwned=3//"); // as escaped text, never as a URL
    // Every tag in the page is one the renderer writes itself.
    const tags = new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase()));
    expect([...tags].sort()).toEqual(
      ["a", "bdi", "br", "code", "defs", "details", "div", "footer", "g", "h1", "h2", "h3", "head", "header", "html", "li", "main", "marker", "meta", "p", "path", "pre", "rect", "section", "span", "strong", "style", "summary", "svg", "table", "tbody", "td", "text", "th", "thead", "title", "tr", "ul", "body"].sort(),
    );
  });

  it("never contains a raw PII value", () => {
    expect(html).not.toContain(RAW_EMAIL);
    expect(html).not.toContain(RAW_CARD);
    expect(html).toContain("**** **** **** 1111");
  });

  it("draws coverage bars per service and the service graph with the broken edge highlighted", () => {
    const services = report.coverage!.services;
    expect(count(/<g class="bar-row">/g)).toBe(services.length);
    expect(count(/class="bar bar-inbound/g)).toBe(services.filter((s) => s.inbound.total > 0).length);
    expect(count(/class="bar bar-outbound/g)).toBe(services.filter((s) => s.outbound.total > 0).length);
    expect(count(/<g class="edge edge-broken">/g)).toBe(1);
    expect(count(/<g class="edge edge-ok">/g)).toBe(report.coverage!.edges.length - 1);
    expect(html).toContain("<title>orders → fraud: 0/12 calls propagated, 12 split trace(s)</title>");
  });

  it("has every section the report has data for, with deltas", () => {
    for (const id of ["headline", "changes", "scores", "coverage", "split-traces", "cardinality", "pii", "structure", "findings"]) expect(html).toContain(`id="${id}"`);
    // Each name isolated: a right-to-left name cannot swap the arrow's sides.
    expect(html).toContain("orders</bdi> → <bdi>fraud</bdi></td><td class=\"num\">100 %</td><td class=\"num\">0 %</td><td class=\"num\"><span class=\"down\">−100 pts</span>");
    expect(html).toContain("<code>load order {id}</code>");
    expect(count(/<details class="finding/g)).toBe(report.findings.length);
    expect(count(/<span class="sev sev-warning">new<\/span>/g)).toBe(report.delta!.findings.new.length);
    // Fix snippets become code blocks.
    expect(html).toContain('<pre class="snippet"><code>processors:');
  });

  it("links example traces to Grafana Explore on a Tempo data source, or to a custom template", () => {
    const traceId = broken.findings.find((f) => f.ruleId === "propagation-gap")!.examples[0]!.traceId;
    expect(html).toContain(`href="http://localhost:3000/explore?schemaVersion=1&amp;orgId=1&amp;panes=`);
    const link = decodeURIComponent(html.match(/href="http:\/\/localhost:3000\/explore\?[^"]*panes=([^"]+)"/)![1]!);
    expect(JSON.parse(link)).toEqual({ tl: { datasource: "tempo", queries: [{ refId: "A", datasource: { type: "tempo", uid: "tempo" }, queryType: "traceql", query: expect.stringMatching(/^[0-9a-f]{32}$/) }], range: { from: "now-7d", to: "now" } } });
    const custom = renderHtml(report, { links: { traceUrlTemplate: "https://jaeger.example/trace/{traceId}?span={spanId}" } });
    expect(custom).toContain(`href="https://jaeger.example/trace/${traceId}?span=`);
    const hostileTemplate = renderHtml(report, { links: { traceUrlTemplate: `${HOSTILE.link}/{traceId}` } });
    expect(hostileTemplate).not.toContain("trace-link");
  });

  it("degrades gracefully when optional sections are absent", () => {
    const bare: Report = { ...healthy, coverage: undefined, scores: undefined, source: undefined, delta: undefined, findings: [] } as Report;
    const page = renderHtml(bare);
    for (const id of ["changes", "scores", "coverage", "split-traces", "cardinality", "pii", "structure"]) expect(page).not.toContain(`id="${id}"`);
    expect(page).toContain("<p>No findings.</p>");
    expect(healthy.summary.traces).toBe(12);
    expect(page).toContain(`<div class="n">12</div><div class="l">traces</div>`);
  });
  it("renders at most MAX_HTML_FINDINGS findings (and changed findings), most severe first, and says how many are not shown", () => {
    const total = 1200;
    const cap = 500; // MAX_HTML_FINDINGS
    // Many findings of the estate's kinds, each its own key: as an estate with thousands of routes gives.
    const many = Array.from({ length: total }, (_, i) => ({ ...broken.findings[i % broken.findings.length]!, subject: `route-${String(i).padStart(5, "0")}` }));
    const rank = { error: 0, warning: 1, info: 2 } as const;
    many.sort((a, b) => rank[a.severity] - rank[b.severity] || a.ruleId.localeCompare(b.ruleId) || a.subject.localeCompare(b.subject));
    const big: Report = { ...broken, findings: many };
    const withDelta: Report = { ...big, delta: diffReports(healthy, big) };
    const page = renderHtml(withDelta);
    const cards = [...page.matchAll(/<details class="finding[^>]*><summary>.*? \(subject <code>(route-\d+)<\/code>/g)].map((m) => m[1]);
    expect(cards).toEqual(many.slice(0, cap).map((f) => f.subject));
    expect(page).toContain(`<h2>All findings (${total})</h2>`);
    expect(page).toContain(`<strong>${total - cap} of ${total} findings not shown</strong>`);
    expect(page).toContain("the JSON and Markdown reports have all of them");
    // The diff's table of new findings is capped the same way.
    const newCount = withDelta.delta!.findings.new.length;
    expect(newCount).toBeGreaterThan(cap);
    expect(page).toContain(`<strong>${newCount - cap} of ${newCount} new findings not shown</strong>`);
    const newTable = page.slice(page.indexOf("<h3>New findings</h3>"), page.indexOf("</table>", page.indexOf("<h3>New findings</h3>")));
    expect(newTable.match(/<tr>/g)!.length).toBe(1 + cap); // header row + capped rows
    // Still one self-contained page, and a small one: every card is a few KB at most.
    expect(page).not.toMatch(/<script|<link|<iframe/i);
    expect(page.length).toBeLessThan(renderHtml(broken).length + cap * 4_000 + cap * 1_000);
    // Under the cap nothing is said.
    expect(html).not.toContain("not shown</strong>");
    expect(MAX_HTML_FINDINGS).toBe(cap);
  });
});
