// `npm run demo` in-process: the committed estate, served over loopback and audited over HTTP,
// produces every documented defect's findings (for the rules that exist) and exactly `check`'s.
import { readFile, readdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findRule } from "../rules/index";
import { DEMO_DEFECTS, DEMO_MANIFEST, type ExpectedFinding } from "../fixtures/demo/manifest";
import type { CliIO } from "../src/cli/io";
import type { Report, ReportFinding, TempoQuerySource } from "../src/report/schema";
import { DEMO_TRACES_DIR, runDemo } from "../scripts/demo";
import { runCli } from "./support/cli";

function capture(): { io: CliIO; stderr: string[] } {
  const stderr: string[] = [];
  const io: CliIO = {
    stdout: () => {},
    stderr: (l) => void stderr.push(l),
    progress: () => {},
    writeFile: async (path, content) => {
      const { mkdir, writeFile } = await import("node:fs/promises");
      const { dirname } = await import("node:path");
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    },
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: {},
  };
  return { io, stderr };
}

/**
 * Findings as aggregates: which examples are kept (the first five) and which span ID the first
 * message quotes follow the order traces arrive in, which differs between files and sampling.
 */
function aggregates(findings: ReportFinding[]): unknown[] {
  return findings.map(({ examples, message, ...rest }) => ({ ...rest, examples: examples.length, message: message.replace(/\b[0-9a-f]{16,32}\b/g, "<id>") }));
}

function assertExpected(findings: ReportFinding[], expected: ExpectedFinding): void {
  const matches = findings.filter(
    (f) => f.ruleId === expected.ruleId && f.service === expected.service && (expected.subject === undefined || f.subject === expected.subject),
  );
  expect(matches.length).toBeGreaterThan(0);
  if (expected.occurrences !== undefined) expect(matches.reduce((n, f) => n + f.occurrences, 0)).toBe(expected.occurrences);
  if (expected.traceCount !== undefined) expect(matches.reduce((n, f) => n + f.traceCount, 0)).toBe(expected.traceCount);
  if (expected.messageIncludes !== undefined) expect(matches.map((f) => f.message).join("\n")).toContain(expected.messageIncludes);
}

describe("npm run demo", async () => {
  const outDir = await mkdtemp(join(tmpdir(), "tracelint-demo-"));
  const { io, stderr } = capture();
  const started = Date.now();
  const result = await runDemo({ outDir, io, now: new Date(Date.UTC(2026, 5, 1, 12)) });
  const elapsed = Date.now() - started;
  afterAll(() => rm(outDir, { recursive: true, force: true }));

  it("writes the reports and finishes in seconds", async () => {
    expect(result.code).toBe(0);
    expect((await readdir(outDir)).filter((f) => f.startsWith("report.")).sort()).toEqual(expect.arrayContaining(["report.json", "report.md"]));
    expect(elapsed).toBeLessThan(10_000);
    const md = await readFile(join(outDir, "report.md"), "utf8");
    expect(md).toContain("## Source");
    expect(md).toContain("| 42 | 42 | 0 | 0 | 0 |");
  });

  it("audits every trace of the estate through the HTTP path, with a tenant and a prefix", () => {
    const source = result.report.source as TempoQuerySource;
    expect(source.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/tempo$/);
    expect(source.tenant).toBe("demo");
    expect(source.sampling.servicesSampled).toEqual(Object.keys(DEMO_MANIFEST.services).sort());
    expect(source.traces).toEqual({ requested: 42, fetched: 42, partial: 0, notFound: 0, failed: 0 });
    expect(result.report.summary).toMatchObject({ traces: 42, spans: 208, services: 6 });
  });

  // Expectations under default settings, for the rules that exist when this runs.
  const existing = DEMO_DEFECTS.filter((d) => d.config === undefined)
    .flatMap((d) => d.expect.map((e) => ({ defect: d.id, ...e })))
    .filter((e) => findRule(e.ruleId));
  it.each(existing)("$defect → $ruleId in $service $subject", (expected) => assertExpected(result.report.findings, expected));

  it("finds nothing that the manifest does not document", () => {
    const documented = new Set(DEMO_DEFECTS.filter((d) => d.config === undefined).flatMap((d) => d.expect.map((e) => `${e.ruleId} ${e.service}`)));
    const undocumented = result.report.findings.filter((f) => f.severity !== "info" && !documented.has(`${f.ruleId} ${f.service}`));
    expect(undocumented.map((f) => `${f.ruleId} ${f.service} ${f.subject}`)).toEqual([]);
  });

  it("finds exactly what `check` finds in the committed files", async () => {
    const checked = JSON.parse((await runCli(["check", DEMO_TRACES_DIR, "--format", "json"])).stdout) as Report;
    expect(aggregates(result.report.findings)).toEqual(aggregates(checked.findings));
  });

  const tuned = DEMO_DEFECTS.filter((d) => d.config !== undefined && d.expect.every((e) => findRule(e.ruleId)));
  it.each(tuned)("$id: found with the documented settings", async (defect) => {
    const config = join(outDir, `${defect.id}.config.json`);
    await io.writeFile(config, JSON.stringify(defect.config));
    const checked = JSON.parse((await runCli(["check", DEMO_TRACES_DIR, "--config", config, "--format", "json"])).stdout) as Report;
    for (const expected of defect.expect) assertExpected(checked.findings, expected);
  });

  it("prints findings per rule, worst services and worst edges, never a PII value", () => {
    const text = stderr.join("\n");
    expect(result.summary[0]).toBe("Findings per rule:");
    expect(text).toMatch(/pii-in-attributes\s+error\s+3 finding\(s\), 30 occurrence\(s\)/);
    expect(text).toMatch(/Worst services:\n {2}web-gateway\s+4 error/);
    expect(text).toMatch(/orders → inventory\s+0\/10 calls propagated/);
    expect(text).toMatch(/payments → fraud-check\s+0\/10 calls propagated/);
    for (const secret of ["maria.lopez@example.com", "4111111111111111", "+1 415 555 0132"]) expect(text).not.toContain(secret);
  });
});

describe("the committed estate", () => {
  it("is what the generator records (real services, seeded IDs, virtual clock)", async () => {
    const { generate } = await import("../scripts/generate-demo-estate");
    const files = await generate();
    const committed = (await readdir(DEMO_TRACES_DIR)).filter((f) => f.endsWith(".otlp.json")).sort();
    expect([...files.keys()].sort()).toEqual(committed);
    for (const name of committed) {
      expect(Buffer.from(files.get(name)!).equals(await readFile(join(DEMO_TRACES_DIR, name))), name).toBe(true);
    }
    const manifest = JSON.parse(await readFile(join(DEMO_TRACES_DIR, "../manifest.json"), "utf8"));
    expect(manifest).toEqual(JSON.parse(JSON.stringify(DEMO_MANIFEST)));
  });
});
