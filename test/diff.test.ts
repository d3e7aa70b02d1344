// Run-over-run diff on SDK-recorded estates, and the `report` / `diff` commands end to end.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffReports, findingFingerprint, WORSENED_RATE_FACTOR } from "../src/report/diff";
import { renderJson } from "../src/report/json";
import { ReportSchema, type Report } from "../src/report/schema";
import { runCli } from "./support/cli";
import { estateReport } from "./support/report-estate";

let before: Report;
let after: Report;
let dir: string;

beforeAll(async () => {
  // Run 1: fraud broken, PII present. Run 2: fraud fixed, PII still there, span names exploded.
  before = await estateReport({ fraudBroken: true, cardinality: false, pii: true, hostile: false });
  after = await estateReport({ fraudBroken: false, cardinality: true, pii: true, hostile: false }, new Date("2026-03-02T10:00:00Z"));
  dir = await mkdtemp(join(tmpdir(), "tracelint-diff-"));
  await writeFile(join(dir, "old.json"), renderJson(before));
  await writeFile(join(dir, "new.json"), renderJson(after));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("diffReports", () => {
  it("finds new, resolved and unchanged findings by fingerprint, with coverage and score deltas", () => {
    const d = diffReports(before, after);
    expect(d.baseline).toEqual({ generatedAt: "2026-03-01T10:00:00.000Z", traces: before.summary.traces });
    expect(d.findings.new.map((f) => [f.ruleId, f.service, f.subject])).toEqual([["high-cardinality-span-name", "orders", "load order {id}"]]);
    expect(d.findings.resolved.map((f) => [f.ruleId, f.subject, f.previousOccurrences, f.occurrences])).toEqual([
      ["propagation-gap", "orders→fraud", 12, 0],
      ["split-trace", "orders→fraud", 12, 0],
    ]);
    expect(d.findings.worsened).toEqual([]);
    expect(d.findings.unchanged).toBe(2); // the two PII findings
    expect(d.edges.find((e) => e.to === "fraud")).toEqual({ from: "orders", to: "fraud", before: 0, after: 100, deltaPoints: 100 });
    expect(d.services.find((s) => s.service === "fraud")).toMatchObject({ inboundBefore: 0, inboundAfter: 100 });
    const orders = d.scores.find((s) => s.service === "orders")!;
    expect(orders.delta).toBe(orders.after! - orders.before!);
    expect(ReportSchema.safeParse({ ...after, delta: d }).success).toBe(true);
  });

  it("calls a finding worsened when its severity rises or its rate per trace grows enough", () => {
    const base = before.findings.find((f) => f.ruleId === "pii-in-attributes")!;
    const grow = (occurrences: number, severity = base.severity): Report => ({ ...before, findings: [{ ...base, occurrences, severity }] });
    const one: Report = { ...before, findings: [{ ...base, severity: "warning" }] };
    expect(diffReports(one, grow(base.occurrences, "error")).findings.worsened).toHaveLength(1);
    expect(diffReports(grow(12), grow(Math.ceil(12 * WORSENED_RATE_FACTOR))).findings.worsened).toHaveLength(1);
    expect(diffReports(grow(12), grow(17)).findings.worsened).toHaveLength(0);
    // The same count over twice as many traces is no worse.
    expect(diffReports(grow(12), { ...grow(24), summary: { ...before.summary, traces: before.summary.traces * 2 } }).findings.worsened).toHaveLength(0);
  });

  it("Markdown and HTML delta tables name the category and show a severity that rose as 'before → now'", async () => {
    const { deltaMarkdown } = await import("../src/report/diff-markdown");
    const { renderHtml } = await import("../src/report/html/index");
    const base = before.findings.find((f) => f.ruleId === "pii-in-attributes")!;
    const was: Report = { ...before, findings: [{ ...base, severity: "warning" }] };
    const now: Report = { ...before, findings: [{ ...base, severity: "error" }] };
    const delta = diffReports(was, now);
    const md = deltaMarkdown(delta).join("\n");
    expect(md).toContain("| Severity | Rule | Service | Subject | Category | Before | Now |");
    expect(md).toContain(`| warning → error | \`pii-in-attributes\` | ${base.service} | \`${base.subject}\` | \`${base.category}\` | ${base.occurrences} | ${base.occurrences} |`);
    const html = renderHtml({ ...now, delta });
    expect(html).toContain("<th>Category</th>");
    expect(html).toMatch(/sev-warning[^<]*<\/span> → <span class="sev sev-error/);
  });

  it("fingerprints ignore messages and counts, not identity", () => {
    const f = before.findings[0]!;
    expect(findingFingerprint({ ...f })).toBe(findingFingerprint({ ...f, message: "other", occurrences: 1 } as typeof f));
    expect(findingFingerprint(f)).not.toBe(findingFingerprint({ ...f, service: `${f.service}x` }));
    expect(findingFingerprint(f)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("tracelint diff / report", () => {
  it("diff prints Markdown with the changes and a summary line", async () => {
    const run = await runCli(["diff", join(dir, "old.json"), join(dir, "new.json"), "--format", "md"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("tracelint: 1 new, 0 worsened, 2 resolved, 2 unchanged finding(s)");
    expect(run.stdout).toContain("## Changes since the previous run");
    expect(run.stdout).toContain("| orders → fraud | 0 % | 100 % | +100 pts |");
    expect(run.stdout).toContain("### Resolved (2)");
  });

  it("diff writes NEW.json with its delta section, and --fail-on-new gates on new findings", async () => {
    const out = join(dir, "delta.json");
    const run = await runCli(["diff", join(dir, "old.json"), join(dir, "new.json"), "--out", out, "--fail-on-new", "warning"]);
    expect(run.code).toBe(1);
    const written = ReportSchema.parse(JSON.parse(await readFile(out, "utf8")));
    expect(written.delta!.findings.new).toHaveLength(1);
    expect((await runCli(["diff", join(dir, "old.json"), join(dir, "new.json"), "--fail-on-new", "error"])).code).toBe(0);
  });

  it("diff -q/--quiet drops the summary line but keeps the output and the --fail-on-new exit code", async () => {
    const out = join(dir, "quiet.json");
    const quiet = await runCli(["diff", join(dir, "old.json"), join(dir, "new.json"), "-q", "-o", out, "--fail-on-new", "warning"]);
    expect(quiet).toEqual({ code: 1, stdout: "", stderr: "" });
    expect(ReportSchema.parse(JSON.parse(await readFile(out, "utf8"))).delta!.findings.new).toHaveLength(1);
    const md = await runCli(["diff", join(dir, "old.json"), join(dir, "new.json"), "--quiet", "--format", "md"]);
    expect(md.stderr).toBe("");
    expect(md.stdout).toContain("## Changes since the previous run");
    expect((await runCli(["diff", "--help"])).stdout).toContain("  -q, --quiet            no summary line on stderr\n");
  });

  it("report re-renders a saved report as HTML, with a baseline and custom trace links", async () => {
    const out = join(dir, "report.html");
    const run = await runCli(["report", join(dir, "new.json"), "--baseline", join(dir, "old.json"), "--out", out], { TRACELINT_TRACE_URL: "https://traces.example/t/{traceId}" });
    expect(run.code).toBe(0);
    const html = await readFile(out, "utf8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain('id="changes"');
    expect(html).toMatch(/href="https:\/\/traces\.example\/t\/[0-9a-f]{32}"/);
    const md = await runCli(["report", join(dir, "new.json"), "--format", "md"]);
    expect(md.stdout.startsWith("# tracelint report")).toBe(true);
  });

  it("usage errors: wrong arity, unreadable or invalid reports", async () => {
    expect((await runCli(["diff", join(dir, "old.json")])).stderr).toBe("tracelint: diff needs OLD.json and NEW.json");
    const missing = await runCli(["report", join(dir, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`tracelint: cannot read ${join(dir, "nope.json")}: ENOENT`);
    await writeFile(join(dir, "bad.json"), '{"schemaVersion": 1}');
    const bad = await runCli(["report", join(dir, "bad.json"), "--format", "html"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^tracelint: .*bad\.json is not a tracelint report: tool: /);
  });
});
