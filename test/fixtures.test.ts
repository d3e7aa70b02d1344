// Every fixture scenario, in every encoding, through the whole check pipeline with the built-in
// rules: the findings must be exactly the ones the scenario module documents, identical across
// encodings, and the committed files must be what the scenarios generate today.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { builtinRules } from "../rules/index";
import { scenarios, type ExpectedFinding, type Scenario } from "../fixtures/scenarios/index";
import { fixtureFileName, VARIANTS } from "../fixtures/scenarios/lib/variants";
import { resolveConfig } from "../src/engine/config";
import { checkInputs, type NamedInput } from "../src/pipeline/check";
import type { Report } from "../src/report/schema";

const fixturesDir = new URL("../fixtures/", import.meta.url);

function fileUrl(scenario: Scenario, name: string): URL {
  return new URL(`${scenario.group}/${name}`, fixturesDir);
}

/** The committed file names of one variant of a scenario (one per part). */
function variantFiles(scenario: Scenario, extension: string): string[] {
  const parts = scenario.id === "split-across-files" ? ["gateway", "backend"] : [undefined];
  return parts.map((part) => fixtureFileName(scenario, { ...(part ? { part } : {}), otlpJson: new Uint8Array() }, extension));
}

async function check(scenario: Scenario, names: string[]): Promise<Report> {
  const inputs: NamedInput[] = names.map((name) => ({ name, read: () => readFile(fileUrl(scenario, name)) }));
  return checkInputs(inputs, resolveConfig({}, builtinRules), { now: new Date(0) });
}

function project(report: Report, rules: Scenario["checkedRules"]): ExpectedFinding[] {
  return report.findings
    .filter((f) => rules === "*" || rules.includes(f.ruleId))
    .map(({ ruleId, service, subject, category, occurrences, traceCount }) => ({ ruleId, service, subject, category, occurrences, traceCount }))
    .sort(byKey);
}

function byKey(a: ExpectedFinding, b: ExpectedFinding): number {
  const ka = JSON.stringify([a.ruleId, a.service, a.subject, a.category]);
  const kb = JSON.stringify([b.ruleId, b.service, b.subject, b.category]);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

describe.each(scenarios.map((s) => [s.id, s] as const))("fixture scenario %s", (_id, scenario) => {
  it.each(VARIANTS.map((v) => [v.id, v.extension] as const))("%s gives exactly the documented findings", async (_variant, extension) => {
    const report = await check(scenario, variantFiles(scenario, extension));
    expect(report.summary.inputErrors).toEqual([]);
    expect(project(report, scenario.checkedRules)).toEqual([...scenario.expected].sort(byKey));
  });

  it("gives identical summaries and findings (all rules) in every encoding", async () => {
    const reports = await Promise.all(VARIANTS.map((v) => check(scenario, variantFiles(scenario, v.extension))));
    const [reference, ...others] = reports.map((r) => ({ summary: { ...r.summary, files: 0 }, findings: project(r, "*") }));
    expect(reference!.summary.traces).toBeGreaterThan(0);
    for (const other of others) expect(other).toEqual(reference);
  });

  it("is committed exactly as the scenario generates it (run `npm run fixtures` if not)", async () => {
    const parts = scenario.build();
    expect(parts.map((p) => fixtureFileName(scenario, p, "otlp.json"))).toEqual(variantFiles(scenario, "otlp.json"));
    for (const part of parts) {
      const committed = await readFile(fileUrl(scenario, fixtureFileName(scenario, part, "otlp.json")));
      expect(new TextDecoder().decode(committed)).toBe(new TextDecoder().decode(part.otlpJson));
      if (part.sdkProtobuf) {
        const proto = await readFile(fileUrl(scenario, fixtureFileName(scenario, part, "otlp.pb")));
        expect(Buffer.compare(proto, Buffer.from(part.sdkProtobuf))).toBe(0);
      }
    }
  });
});

describe("fixture scenario details", () => {
  const byId = new Map(scenarios.map((s) => [s.id, s]));

  it("healthy-estate is a realistic estate: 60 traces over four services, every rule silent", async () => {
    const report = await check(byId.get("healthy-estate")!, ["healthy-estate.otlp.json"]);
    expect(report.summary).toMatchObject({ traces: 60, spans: 460, services: 4, partialTraces: 0, inputErrors: [] });
    expect(report.rules.length).toBe(builtinRules.length);
    expect(report.findings).toEqual([]);
  });

  it("split-across-files needs both files: the backend file alone has no roots", async () => {
    const scenario = byId.get("split-across-files")!;
    const alone = await check(scenario, ["split-across-files.backend.otlp.json"]);
    expect(project(alone, ["missing-root", "orphan-span"])).toEqual([
      { ruleId: "missing-root", service: "orders", subject: null, category: null, occurrences: 2, traceCount: 2 },
    ]);
  });

  it("orphan-server-span examples point at the orders SERVER spans whose caller span was lost", async () => {
    const report = await check(byId.get("orphan-server-span")!, ["orphan-server-span.otlp.json"]);
    const finding = report.findings.find((f) => f.ruleId === "orphan-span")!;
    const doc = JSON.parse(await readFile(new URL("structure/orphan-server-span.otlp.json", fixturesDir), "utf8"));
    const spans = doc.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans));
    const ids = new Set(spans.map((s: any) => s.spanId));
    for (const example of finding.examples) {
      const span = spans.find((s: any) => s.spanId === example.spanId);
      expect(span).toMatchObject({ name: "GET /orders/{id}", kind: 2 });
      expect(ids.has(span.parentSpanId)).toBe(false);
    }
    expect(finding.examples).toHaveLength(3);
  });
});
