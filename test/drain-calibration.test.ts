// Validation against Grafana Tempo's own DRAIN output (pkg/drain/testdata, AGPL-3.0: read from
// ../shared/upstream-data, never copied into this repo). Tempo's numbers: OriginalCount = names in
// the file (with repeats), FinalCount = templates, ReductionPct = 1 − Final/Original.
import { SpanKind as ApiKind } from "@opentelemetry/api";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import highCardinalitySpanName from "../rules/high-cardinality-span-name";
import { Drain, DEFAULT_DRAIN_OPTIONS, type Cluster } from "../src/analysis/templates/drain";
import { renderTemplate, templateTokens } from "../src/analysis/templates/tokenize";
import { decodeInput } from "../src/decode/index";
import { Analyzer } from "../src/engine/analyzer";
import { TraceAssembler } from "../src/engine/assemble";
import { resolveConfig } from "../src/engine/config";

const DATA = new URL("../../shared/upstream-data/tempo/span-names-drain/", import.meta.url);

interface TempoDrain {
  OriginalCount: number;
  FinalCount: number;
  ReductionPct: number;
  PatternMapping: Record<string, string>;
}

const loaded = new Map<string, ReturnType<typeof templatesOf>>();
function load(file: "dev1" | "prod1") {
  let result = loaded.get(file);
  if (!result) loaded.set(file, (result = templatesOf(file)));
  return result;
}

function templatesOf(file: "dev1" | "prod1") {
  const names = JSON.parse(readFileSync(new URL(`${file}.json`, DATA), "utf8")) as string[];
  const tempo = JSON.parse(readFileSync(new URL(`${file}.drain.json`, DATA), "utf8")) as TempoDrain;
  const drain = new Drain<null>({ ...DEFAULT_DRAIN_OPTIONS, maxClusters: 100_000 }, () => {});
  const clusterOf = new Map<string, Cluster<null>>();
  for (const name of names) clusterOf.set(name, drain.add(templateTokens(name), () => null)!);
  const templateOf = (name: string) => renderTemplate(clusterOf.get(name)!.tokens);
  return { names, tempo, templates: drain.size, templateOf };
}

/** Our placeholders as Tempo's `<_>`; Tempo leaves base64 padding outside its wildcard. */
const shape = (template: string) => template.replace(/\{[a-z*]+\}/g, "<_>");
const tempoShape = (template: string) => template.replace(/<_>=+/g, "<_>");
const reductionPct = (original: number, final: number) => Math.round(((original - final) / original) * 10_000) / 100;

describe("span-name templates vs Tempo's DRAIN (pkg/drain/testdata)", () => {
  it("dev1: 5000 names → 4081 templates (18.38 % reduction) vs Tempo's 4108 (17.84 %)", () => {
    const { names, tempo, templates } = load("dev1");
    expect([names.length, tempo.FinalCount, tempo.ReductionPct]).toEqual([5000, 4108, 17.84]);
    expect(templates).toBe(4081);
    expect(reductionPct(names.length, templates)).toBe(18.38);
    expect(templates).toBeLessThanOrEqual(tempo.FinalCount);
  });

  it("prod1: 5000 names → 2485 templates (50.30 % reduction), the same as Tempo's 2485 (50.3 %)", () => {
    const { names, tempo, templates } = load("prod1");
    expect([names.length, tempo.FinalCount, tempo.ReductionPct]).toEqual([5000, 2485, 50.3]);
    expect(templates).toBe(2485);
    expect(reductionPct(names.length, templates)).toBe(50.3);
  });

  it.each(["dev1", "prod1"] as const)("%s: every name Tempo templates gets the same template shape from us", (file) => {
    const { tempo, templateOf } = load(file);
    const templated = Object.entries(tempo.PatternMapping).filter(([, t]) => t.includes("<_>"));
    expect(templated.length).toBe(file === "dev1" ? 403 : 1250);
    const mismatches = templated.filter(([name, t]) => shape(templateOf(name)) !== tempoShape(t));
    expect(mismatches).toEqual([]);
  });

  it("maps specific names to the expected templates", () => {
    const dev1 = load("dev1").templateOf;
    const prod1 = load("prod1").templateOf;
    expect(dev1("batch job 156: done")).toBe("batch job {id}: done");
    expect(dev1("GET /apple-kiwi-elderberry-nectarine-banana-apple?h=c547ee59e2382f8a7f7fd41d8cd98f00b204e9800998ecf8427e")).toBe(
      "GET /apple-kiwi-elderberry-nectarine-banana-apple?h={value}",
    );
    expect(dev1("PATCH /lime-mango-apple-pineapple/eIku4oXs4VEUVQ==")).toBe("PATCH /lime-mango-apple-pineapple/{id}");
    expect(dev1("lemon apple lime banana")).toBe("lemon apple lime banana");
    expect(dev1("*pineapple.honeydew.mango")).toBe("*pineapple.honeydew.mango");
    expect(prod1("queue://24568/ABC.REPLY?name=251 send")).toBe("queue://{id}/ABC.REPLY?name={value} send");
    expect(dev1("DELETE /pear/328479192")).toBe("DELETE /pear/{id}");
    expect(prod1("UPDATE fig SET cherry-kiwi-nectarine-orange-lemon-banana = banana-honeydew-nectarine WHERE date-honeydew-banana-fig = date-fig-kiwi-date-elderberry-honeydew-grape")).toBe(
      "UPDATE fig SET cherry-kiwi-nectarine-orange-lemon-banana = banana-honeydew-nectarine WHERE date-honeydew-banana-fig = date-fig-kiwi-date-elderberry-honeydew-grape",
    );
  });

  it.each([
    ["dev1", [/^batch job \d+: done$/]],
    ["prod1", [/^queue:\/\/\d+\/ABC\.REPLY\?name=\d+ send$/, /^queue:\/\/\d+\/ABC\.REQUEST\?name=\d+ send$/]],
  ] as const)("the rule over %s as SDK spans reports exactly the big templates", async (file, patterns) => {
    const { names } = load(file);
    const rec = new TraceRecorder({ seed: 4 });
    const tracer = rec.tracer(file);
    const perTrace = 50;
    for (let start = 0; start < names.length; start += perTrace) {
      const root = tracer.startSpan("job", { kind: ApiKind.SERVER, startTime: rec.time(start) });
      names.slice(start, start + perTrace).forEach((name, i) => tracer.startSpan(name, { kind: ApiKind.CLIENT, startTime: rec.time(start + i) }, rec.within(root)).end(rec.time(start + i + 1)));
      root.end(rec.time(start + perTrace));
    }
    const decoded = await decodeInput(rec.toOtlpJson(), { name: `${file}.json` });
    const assembler = new TraceAssembler();
    assembler.add(decoded.spans);
    const analyzer = new Analyzer(resolveConfig({}, [highCardinalitySpanName]));
    for (const t of assembler.drain()) analyzer.addTrace(t);
    const findings = analyzer.finish(new Date(0)).findings;

    // Expected counts straight from the data: spans whose name matches, traces holding one.
    const expected = patterns.map((re) => {
      const hits = names.map((n, i) => (re.test(n) ? i : -1)).filter((i) => i >= 0);
      return [hits.length, new Set(hits.map((i) => Math.floor(i / perTrace))).size];
    });
    expect(findings.map((f) => [f.occurrences, f.traceCount])).toEqual(expected);
    expect(findings.map((f) => [f.service, f.category, f.subject])).toEqual(
      file === "dev1"
        ? [["dev1", "CLIENT", "batch job {id}: done"]]
        : [
            ["prod1", "CLIENT", "queue://{id}/ABC.REPLY?name={value} send"],
            ["prod1", "CLIENT", "queue://{id}/ABC.REQUEST?name={value} send"],
          ],
    );
  });
});
