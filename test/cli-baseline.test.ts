// `--baseline OLD.json` and `--fail-on-new LEVEL` on `tracelint check` and `tracelint audit`: the
// written report carries exactly `diffReports(OLD, NEW)` (as `tracelint diff` computes it), and the
// exit code trips only on new or worsened findings at the level. Traces: the committed demo estate
// (real SDK); the baseline is the same estate checked with propagation-gap off, so its findings are new.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDemoSpans } from "../scripts/demo";
import { startTempoServer, type RunningTempoServer } from "../src/cli/tempo-server";
import { diffReports } from "../src/report/diff";
import type { Report } from "../src/report/schema";
import { deltaToEndAt, shiftSpans } from "../src/tempo-server/index";
import { runCli } from "./support/cli";

const DEMO = new URL("../fixtures/demo/traces/", import.meta.url).pathname;
let dir: string;
let baselinePath: string;
let baseline: Report;

async function readReport(path: string): Promise<Report> {
  return JSON.parse(await readFile(path, "utf8")) as Report;
}

function withoutDelta(report: Report): Report {
  const { delta: _delta, ...rest } = report;
  return rest as Report;
}

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracelint-baseline-"));
  const config = join(dir, "no-gap.config.json");
  await writeFile(config, JSON.stringify({ rules: { "propagation-gap": "off" } }));
  baselinePath = join(dir, "baseline.json");
  const run = await runCli(["check", DEMO, "--config", config, "--format", "json", "--out", baselinePath, "--fail-on", "never"]);
  expect(run.code).toBe(0);
  baseline = await readReport(baselinePath);
  expect(baseline.findings.some((f) => f.ruleId === "propagation-gap")).toBe(false);
});

describe("tracelint check --baseline", () => {
  it("writes the report with the delta tracelint diff computes, and --fail-on-new trips on the new findings", async () => {
    const out = join(dir, "check.json");
    const run = await runCli(["check", DEMO, "--format", "json", "--out", out, "--fail-on", "never", "--baseline", baselinePath, "--fail-on-new", "warning"]);
    const report = await readReport(out);
    const gaps = report.findings.filter((f) => f.ruleId === "propagation-gap");
    expect(gaps.length).toBeGreaterThan(0);
    expect(report.delta).toEqual(diffReports(baseline, withoutDelta(report)));
    expect(report.delta!.findings.new.map((d) => `${d.ruleId} ${d.service} ${d.subject}`).sort()).toEqual(gaps.map((f) => `${f.ruleId} ${f.service} ${f.subject}`).sort());
    expect(report.delta!.findings).toMatchObject({ resolved: [], worsened: [], unchanged: baseline.findings.length });
    expect(run.stderr).toContain(`tracelint: ${gaps.length} new, 0 worsened, 0 resolved, ${baseline.findings.length} unchanged finding(s) since ${baselinePath}`);
    // propagation-gap findings are warnings or errors, so --fail-on-new warning fails the gate…
    expect(gaps.every((f) => f.severity !== "info")).toBe(true);
    expect(run.code).toBe(1);
  });

  it("passes the gate when nothing is new, even with findings present (--fail-on never)", async () => {
    const run = await runCli(["check", DEMO, "--format", "json", "--fail-on", "never", "--baseline", baselinePath, "--fail-on-new", "info", "--config", join(dir, "no-gap.config.json")]);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.delta!.findings.new).toEqual([]);
    expect(run.code).toBe(0);
  });

  it("Markdown shows the comparison", async () => {
    const run = await runCli(["check", DEMO, "--format", "md", "--fail-on", "never", "--baseline", baselinePath]);
    expect(run.stdout).toContain("payments→fraud-check");
    expect(run.code).toBe(0); // no --fail-on-new: the delta is informational
  });

  it("--fail-on-new without --baseline, or an unreadable baseline, is a usage error before any work", async () => {
    const lone = await runCli(["check", DEMO, "--fail-on-new", "error"]);
    expect(lone.code).toBe(2);
    expect(lone.stderr).toContain("--fail-on-new needs --baseline OLD.json");
    const missing = await runCli(["check", DEMO, "--baseline", join(dir, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot read ${join(dir, "nope.json")}: ENOENT`);
    const level = await runCli(["check", DEMO, "--baseline", baselinePath, "--fail-on-new", "fatal"]);
    expect(level.code).toBe(2);
    expect(level.stderr).toContain('--fail-on-new must be error, warning, info or never (got "fatal")');
  });
});

describe("tracelint audit --tempo --baseline", () => {
  const NOW_MS = Date.parse("2026-03-02T10:00:00Z");
  let server: RunningTempoServer;
  beforeAll(async () => {
    const recorded = await loadDemoSpans();
    const spans = shiftSpans(recorded, deltaToEndAt(recorded, BigInt(NOW_MS - 10 * 60_000) * 1_000_000n));
    server = await startTempoServer({ spans, now: () => NOW_MS });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("compares the audited sample with the baseline and gates on new findings", async () => {
    const out = join(dir, "audit.json");
    const window = ["--start", new Date(NOW_MS - 65 * 60_000).toISOString(), "--end", new Date(NOW_MS - 5 * 60_000).toISOString()];
    const run = await runCli(["audit", "--tempo", server.url, ...window, "--per-service", "20", "--traces", "50", "--format", "json", "--out", out, "--fail-on", "never", "--baseline", baselinePath, "--fail-on-new", "warning", "--quiet"]);
    const report = await readReport(out);
    expect(report.summary.traces).toBe(42);
    expect(report.delta).toEqual(diffReports(baseline, withoutDelta(report)));
    expect(report.delta!.findings.new.map((d) => `${d.ruleId} ${d.service} ${d.subject}`)).toContain("propagation-gap payments payments→fraud-check");
    expect(run.code).toBe(1);
  });
});
