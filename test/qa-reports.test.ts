// What a reader of the Markdown and HTML reports saw and should not have: "span\(s\)" all over the
// raw Markdown, a rule heading glued to the previous list, an edge drawn straight through another
// service's box (its label hidden behind it), Markdown backticks shown literally in HTML, and no
// word in the HTML (nor, for object storage, in the Markdown) about what could not be read.
// Data: the demo estate (recorded with the OpenTelemetry JS SDK), audited over HTTP from the
// Tempo-compatible server on 127.0.0.1 with one trace failing.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDemoSpans } from "../scripts/demo";
import { startTempoServer, type RunningTempoServer } from "../src/cli/tempo-server";
import { mdText } from "../src/report/markdown-escape";
import { renderMarkdown } from "../src/report/markdown";
import { renderHtml } from "../src/report/html/index";
import { serviceGraph } from "../src/report/html/charts";
import type { ObjectStorageSource, Report } from "../src/report/schema";
import { deltaToEndAt, shiftSpans } from "../src/tempo-server/index";
import { runCli } from "./support/cli";

const NOW = new Date(Date.UTC(2026, 2, 3, 12));
const WINDOW = ["--start", new Date(NOW.getTime() - 65 * 60_000).toISOString(), "--end", new Date(NOW.getTime() - 5 * 60_000).toISOString()];

let dir: string;
let server: RunningTempoServer;
let failedTrace: string;
let report: Report;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracelint-qa-reports-"));
  const recorded = await loadDemoSpans();
  const spans = shiftSpans(recorded, deltaToEndAt(recorded, BigInt(NOW.getTime() - 10 * 60_000) * 1_000_000n));
  failedTrace = spans.find((s) => s.service === "inventory")!.traceId;
  server = await startTempoServer({
    spans,
    // One trace keeps failing: it must be named, with its reason, in every report format.
    faults: [{ fault: { type: "status", status: 503, body: "upstream unavailable" }, routes: ["trace-v2", "trace-v1"], traceId: failedTrace }],
  });
  const out = join(dir, "report.json");
  const run = await runCli(["audit", "--tempo", server.url, ...WINDOW, "--per-service", "20", "--traces", "50", "--out", out, "--fail-on", "never", "-q"]);
  expect(run.code).toBe(0);
  report = JSON.parse(await readFile(out, "utf8")) as Report;
}, 30_000);

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("Markdown report", () => {
  it("leaves parentheses and braces alone: no 'span\\(s\\)' in the raw file", () => {
    const md = renderMarkdown(report);
    expect(md).not.toMatch(/\\[(){}]/);
    expect(md).toContain("occurrence(s)");
    const orphan = report.findings.find((f) => f.ruleId === "orphan-span")!;
    expect(md).toContain(orphan.message.replace(/`/g, "\\`"));
  });

  it("still cannot be made to render a link or HTML from trace data", () => {
    expect(mdText("[click](javascript:alert(1))")).toBe("\\[click\\](javascript:alert(1))");
    expect(mdText("<img src=x onerror=alert(1)>")).toBe("&lt;img src=x onerror=alert(1)&gt;");
    expect(mdText("a|b\nc")).toBe("a\\|b c");
  });

  it("keeps bare URLs in trace data from becoming links", () => {
    expect(mdText("see http://phish.example/login or www.phish.example")).toBe("see http\u2060://phish.example/login or www\u2060.phish.example");
    // Attribute keys like http.route stay as written.
    expect(mdText("http.route and https.x")).toBe("http.route and https.x");
  });

  it("puts a blank line before each rule heading, so it is not read as part of the previous list", () => {
    const md = renderMarkdown(report);
    const headings = [...md.matchAll(/^### ([a-z-]+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(expect.arrayContaining(["missing-root", "orphan-span", "pii-in-attributes", "propagation-gap"]));
    const lines = md.split("\n");
    for (const [i, line] of lines.entries()) if (/^### [a-z-]+$/.test(line) && lines[i - 1] !== "## Details") expect(lines.slice(i - 1, i + 1)).toEqual(["", line]);
  });

  it("names the failed trace and its reason, and says '5 min' rather than '300 s'", () => {
    const md = renderMarkdown(report);
    expect(md).toContain("(ends 5 min before the audit so traces are complete)");
    expect(md).toMatch(new RegExp(`^- trace \`${failedTrace}\`: .*503`, "m"));
  });
});

describe("Markdown rule table: traces per rule", () => {
  // Findings of one rule count their traces separately: the table used to add them up, and showed
  // 180 traces for a run of 60. The demo report's findings, re-counted to the edge cases.
  const withCounts = (counts: number[], traces: number): Report => ({
    ...report,
    summary: { ...report.summary, traces },
    findings: counts.map((traceCount, i) => ({ ...report.findings[0]!, ruleId: "duplicate-span-id", service: `s${i}`, traceCount, occurrences: traceCount })),
  });
  const rowOf = (md: string) => md.split("\n").find((l) => l.startsWith("| `duplicate-span-id`"))!;

  it("shows the exact count when the findings cannot share fewer traces, never more than were analysed", () => {
    expect(rowOf(renderMarkdown(withCounts([60, 40, 60, 20], 60)))).toMatch(/\| 180 \| 60 \|$/);
    expect(rowOf(renderMarkdown(withCounts([7], 60)))).toMatch(/\| 7 \| 7 \|$/);
    expect(renderMarkdown(withCounts([60, 40], 60))).not.toContain("A range of traces");
  });

  it("gives a rule's findings of each severity their own row, and the rule one Details heading", () => {
    // duplicate-span-id: one error (repeated IDs) and one info (exact copies), sorted apart by severity.
    const mixed: Report = {
      ...report,
      findings: [
        { ...report.findings[0]!, ruleId: "duplicate-span-id", severity: "error", category: "repeated-span-id", service: "a", occurrences: 2, traceCount: 2 },
        { ...report.findings[0]!, ruleId: "orphan-span", severity: "error", service: "a", occurrences: 1, traceCount: 1 },
        { ...report.findings[0]!, ruleId: "duplicate-span-id", severity: "info", category: "exact-copy", service: "b", occurrences: 527, traceCount: 60 },
      ],
    };
    const md = renderMarkdown(mixed);
    const rows = md.split("\n").filter((l) => l.startsWith("| `duplicate-span-id`"));
    expect(rows).toEqual(["| `duplicate-span-id` | 🔴 error | 1 | 2 | 2 |", "| `duplicate-span-id` | 🔵 info | 1 | 527 | 60 |"]);
    expect([...md.matchAll(/^### ([a-z-]+)$/gm)].map((m) => m[1])).toEqual(["duplicate-span-id", "orphan-span"]);
  });

  it("shows a range, and says what it means, when the overlap is unknown", () => {
    const md = renderMarkdown(withCounts([5, 3], 60));
    expect(rowOf(md)).toMatch(/\| 8 \| 5–8 \|$/);
    expect(md).toContain("A range of traces: the rule's findings may share traces");
  });
});

describe("HTML report", () => {
  it("has a Source section: sampling, the fetch counts and the failed trace with its reason", () => {
    const html = renderHtml(report);
    const source = html.slice(html.indexOf('<section id="source">'));
    expect(source).toContain("<h2>Source</h2>");
    const t = (report.source as { traces: { requested: number; fetched: number; failed: number } }).traces;
    expect(t.failed).toBe(1);
    expect(source).toContain(`<td class="num">${t.requested}</td><td class="num">${t.fetched}</td>`);
    expect(source).toMatch(new RegExp(`<td><code>${failedTrace}</code></td><td>[^<]*503`));
  });

  it("shows `quoted` names in messages as code, still escaped", () => {
    const html = renderHtml(report);
    expect(html).toContain("Span attribute <code>payment.card.number</code> carries payment card numbers");
    const hostile: Report = { ...report, findings: [{ ...report.findings[0]!, message: "key `<script>alert(1)</script>` and a lone ` tick" }] };
    const page = renderHtml(hostile);
    expect(page).toContain("key <code>&lt;script&gt;alert(1)&lt;/script&gt;</code> and a lone &#96; tick");
    expect(page).not.toContain("<script>");
  });

  it("routes an edge that skips a column below that column's boxes, with its label in the open", () => {
    // orders → fraud-check skips the column of inventory, payments and fulfillment.
    const edges = report.coverage!.edges;
    expect(edges.map((e) => `${e.from}>${e.to}`)).toEqual(expect.arrayContaining(["orders>fraud-check", "payments>fraud-check", "orders>inventory"]));
    const svg = serviceGraph(edges);
    const boxes = [...svg.matchAll(/<g class="node"><title>([^<]+)<\/title><rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"/g)].map((m) => ({
      name: m[1]!,
      x: Number(m[2]),
      y: Number(m[3]),
      w: Number(m[4]),
      h: Number(m[5]),
    }));
    const middle = boxes.filter((b) => ["inventory", "payments", "fulfillment"].includes(b.name));
    expect(middle).toHaveLength(3);
    const edge = /<title>orders → fraud-check: [^<]*<\/title><path d="([^"]+)"[^>]*\/><text x="([\d.]+)" y="([\d.]+)"/.exec(svg);
    expect(edge).not.toBeNull();
    const lane = /L([\d.]+),([\d.]+)/.exec(edge![1]!);
    expect(lane).not.toBeNull();
    const laneY = Number(lane![2]);
    // The lane runs under every box it passes, and the label sits on it, clear of every box.
    for (const b of middle) expect(laneY).toBeGreaterThan(b.y + b.h);
    const [lx, ly] = [Number(edge![2]), Number(edge![3])];
    for (const b of boxes) expect(lx >= b.x && lx <= b.x + b.w && ly >= b.y && ly <= b.y + b.h).toBe(false);
    const height = Number(/viewBox="0 0 \d+ (\d+)"/.exec(svg)![1]);
    expect(height).toBeGreaterThan(laneY);
  });
});

describe("service graph size", () => {
  const edge = (from: string, to: string) => ({ from, to, propagated: 3, total: 4, splitTraces: 1 });
  const heightOf = (svg: string) => Number(/viewBox="0 0 \d+ (\d+)"/.exec(svg)![1]);

  it("leaves no empty band below the boxes when nothing is drawn there", () => {
    // One row of 36 px boxes with a 20 px margin above and below.
    expect(heightOf(serviceGraph([edge("gateway", "orders")]))).toBe(76);
  });

  it("keeps room for a back edge's loop and its label", () => {
    const svg = serviceGraph([edge("orders", "billing"), edge("billing", "orders")]);
    const labels = [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" text-anchor="middle">75.0 %/g)].map((m) => Number(m[1]));
    expect(labels).toHaveLength(2);
    expect(Math.max(...labels)).toBeLessThan(heightOf(svg) - 4);
  });
});

describe("object-storage source", () => {
  // The source section below is hand-written (an object-storage audit needs an S3 server; its
  // own tests cover producing it); the findings around it are the demo audit's.
  const storage: ObjectStorageSource = {
    kind: "tempo-blocks",
    location: "s3://tempo-traces/prod",
    tenant: "acme",
    window: { start: "2026-03-03T06:00:00.000Z", end: "2026-03-03T12:00:00.000Z" },
    discovery: "tenant-index",
    sample: { fraction: 0.07, unit: "traces" },
    objectsRead: 12,
    objectsFailed: 1,
    bytesRead: 3 * 1024 * 1024 + 512 * 1024,
    listRequests: 2,
    skipped: { tracesOutsideWindow: 4 },
    objects: [],
    failures: [{ key: "acme/0f1e/data.parquet", message: "AccessDenied" }],
  };

  it("Markdown says what was read, how much, and which object failed", () => {
    const md = renderMarkdown({ ...report, source: storage });
    expect(md).toContain("## Source\n\nTempo blocks `s3://tempo-traces/prod`, tenant `acme`, window 2026-03-03T06:00:00.000Z – 2026-03-03T12:00:00.000Z, sampled 7 % of traces.");
    expect(md).toContain("12 object(s) read, 1 failed, 3.5 MiB in 2 list request(s); 4 trace(s) outside the window skipped.");
    expect(md).toContain("- `acme/0f1e/data.parquet`: AccessDenied");
  });

  it("HTML names the bucket in the header and lists the failed object", () => {
    const html = renderHtml({ ...report, source: storage });
    expect(html).toContain("· Tempo blocks s3://tempo-traces/prod, 2026-03-03T06:00:00.000Z – 2026-03-03T12:00:00.000Z, 12 object(s) read, 1 failed</div>");
    expect(html).toContain("<td><code>acme/0f1e/data.parquet</code></td><td>AccessDenied</td>");
  });
});

describe("percentages", () => {
  it("never round a coverage short of 100 % up to 100, nor a non-zero one down to 0", async () => {
    const { percentDigits } = await import("../src/util/percent");
    const { formatPercent } = await import("../src/analysis/propagation/culprit");
    const { formatPct } = await import("../src/report/html/charts");
    expect([formatPercent(1999, 2000), formatPercent(9999, 10000), formatPercent(14, 18), formatPercent(1, 20000), formatPercent(5, 5)]).toEqual([
      "99.9 %",
      "99.9 %",
      "77.8 %",
      "< 0.1 %",
      "100 %",
    ]);
    expect(formatPct(99.97)).toBe("99.9 %");
    expect(percentDigits(0.06)).toBe("0.1");
  });
});

describe("HTML coverage on a large estate", () => {
  it("says how much of the estate the charts show, and lists every service and edge in tables", () => {
    const services = Array.from({ length: 45 }, (_, i) => ({ service: `svc-${String(i).padStart(2, "0")}`, inbound: { propagated: i, total: 50 }, outbound: { propagated: 0, total: 0 }, externalCalls: 0 }));
    const edges = Array.from({ length: 65 }, (_, i) => ({ from: "gateway", to: `svc-${String(i).padStart(2, "0")}`, propagated: i, total: 70, splitTraces: 0 }));
    const html = renderHtml({ ...report, coverage: { services, edges } });
    expect(html).toContain("The chart shows the 40 worst of 45 services; the table lists them all.");
    expect(html).toContain("The graph shows the 60 worst of 65 edges; the table lists them all.");
    const coverage = html.slice(html.indexOf('<section id="coverage">'), html.indexOf("</section>", html.indexOf('<section id="coverage">')));
    expect(coverage).toContain("<td><bdi>svc-44</bdi></td><td class=\"num\">44/50 (88.0 %)</td>");
    expect(coverage).toContain("<bdi>gateway</bdi> → <bdi>svc-64</bdi>");
  });
});

describe("HTML charts: layout", () => {
  const edge = (from: string, to: string, propagated = 10) => ({ from, to, propagated, total: 10, splitTraces: 0 });
  const size = (svg: string) => svg.match(/viewBox="0 0 (\d+) (\d+)"/)!.slice(1).map(Number);

  it("keeps services that call each other in a loop in the columns of their depth, not past every other service", () => {
    // web fans out to ten services, two of which call each other: three columns, not thirteen.
    const fanOut = Array.from({ length: 10 }, (_, i) => edge("web", ["orders", "users"][i] ?? `svc-${i}`));
    const [width] = size(serviceGraph([...fanOut, edge("orders", "users"), edge("users", "orders", 5)]));
    const [chainWidth] = size(serviceGraph([edge("web", "orders"), edge("orders", "users")]));
    expect(width).toBe(chainWidth);
  });

  it("leaves room for five-digit call counts after each coverage bar", async () => {
    const { coverageBars } = await import("../src/report/html/charts");
    const bars = coverageBars([{ service: "a", inbound: { propagated: 9999, total: 10000 }, outbound: { propagated: 19999, total: 20000 } }]);
    const [width] = size(bars);
    const labels = [...bars.matchAll(/<text class="value" x="(\d+)"[^>]*>([^<]*)/g)].map((m) => ({ x: Number(m[1]), text: m[2]! }));
    expect(labels.map((l) => l.text)).toEqual(["99.9 % (9999/10000)", "99.9 % (19999/20000)"]);
    // The inbound label ends before the outbound bar starts (x of its track), the outbound one inside the chart.
    const outboundTrack = Number([...bars.matchAll(/<rect class="track" x="(\d+)"/g)][1]![1]);
    expect(labels[0]!.x + 7.5 * labels[0]!.text.length).toBeLessThanOrEqual(outboundTrack);
    expect(labels[1]!.x + 7.5 * labels[1]!.text.length).toBeLessThanOrEqual(width!);
  });
});
