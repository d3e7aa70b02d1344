// A report must not depend on the order traces arrive in or on how an audit is sharded (the Worker
// fans audits out over many invocations): same findings, examples, messages, coverage and scores.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { builtinRules } from "../rules/index";
import { decodeInput } from "../src/decode/index";
import { Analyzer, type AnalyzerSnapshot } from "../src/engine/analyzer";
import { TraceAssembler } from "../src/engine/assemble";
import { TraceBatcher } from "../src/engine/batch";
import { resolveConfig } from "../src/engine/config";
import type { Trace } from "../src/model/trace";

const dirs = ["../fixtures/structure/", "../fixtures/demo/traces/"];

async function estateTraces(): Promise<Trace[]> {
  const assembler = new TraceAssembler();
  for (const dir of dirs) {
    const url = new URL(dir, import.meta.url);
    for (const file of readdirSync(url).filter((f) => f.endsWith(".otlp.json") || (dir.includes("demo") && f.endsWith(".json"))).sort()) {
      const decoded = await decodeInput(readFileSync(new URL(file, url)), { name: file });
      assembler.add(decoded.spans);
    }
  }
  return [...assembler.drain()];
}

function reportOf(traces: readonly Trace[][]): unknown {
  const config = resolveConfig({}, builtinRules);
  const shards = traces.map((shard) => {
    const analyzer = new Analyzer(config);
    for (const trace of shard) analyzer.addTrace(trace);
    return JSON.parse(JSON.stringify(analyzer.snapshot())) as AnalyzerSnapshot;
  });
  const merged = new Analyzer(config);
  for (const snapshot of shards) merged.merge(snapshot);
  return merged.finish(new Date("2026-01-01T00:00:00Z"));
}

describe("order and shard independence", () => {
  it("gives the same report for any trace order and any split into merged shards", async () => {
    const traces = await estateTraces();
    expect(traces.length).toBeGreaterThan(50);
    const inOrder = reportOf([traces]);
    const report = inOrder as { findings: { examples: unknown[] }[] };
    // The estate has findings with more than five candidate examples, so selection matters.
    expect(report.findings.length).toBeGreaterThan(10);
    expect(report.findings.some((f) => f.examples.length === 5)).toBe(true);

    expect(reportOf([[...traces].reverse()])).toEqual(inOrder);
    const odd = traces.filter((_, i) => i % 2 === 1);
    const even = traces.filter((_, i) => i % 2 === 0);
    expect(reportOf([odd.reverse(), even])).toEqual(inOrder);
    const thirds = [0, 1, 2].map((k) => traces.filter((_, i) => i % 3 === k));
    expect(reportOf([thirds[2]!, thirds[0]!, thirds[1]!])).toEqual(inOrder);
  });
});

const FINISHED_AT = new Date("2026-01-01T00:00:00Z");

/** The reference: every trace through addTrace, one at a time. */
function oneByOne(traces: readonly Trace[]) {
  const analyzer = new Analyzer(resolveConfig({}, builtinRules));
  for (const trace of traces) analyzer.addTrace(trace);
  const snapshot = JSON.parse(JSON.stringify(analyzer.snapshot())) as AnalyzerSnapshot;
  return { snapshot, report: analyzer.finish(FINISHED_AT) };
}

describe("batched analysis", () => {
  it("addTraces (each rule over a batch in turn) gives addTrace's report and state, traceCount included", async () => {
    const traces = await estateTraces();
    const config = resolveConfig({}, builtinRules);
    const { snapshot: expectedSnapshot, report: expected } = oneByOne(traces);
    // Traces reported by several rules make the per-trace distinct counting matter.
    expect(expected.findings.some((f) => f.traceCount > 1 && f.traceCount < f.occurrences)).toBe(true);
    for (const size of [2, 16, traces.length]) {
      const batched = new Analyzer(config);
      for (let i = 0; i < traces.length; i += size) batched.addTraces(traces.slice(i, i + size));
      expect(JSON.parse(JSON.stringify(batched.snapshot()))).toEqual(expectedSnapshot);
      expect(batched.finish(FINISHED_AT)).toEqual(expected);
    }
  });
});

describe("TraceBatcher", () => {
  it("holds traces until a batch is full or flush() is called, then gives addTrace's report", async () => {
    const traces = await estateTraces();
    const { report: expected } = oneByOne(traces);
    const analyzer = new Analyzer(resolveConfig({}, builtinRules));
    const batcher = new TraceBatcher(analyzer, 7);
    for (const trace of traces.slice(0, 6)) batcher.add(trace);
    expect(analyzer.snapshot().counters.traces).toBe(0);
    batcher.add(traces[6]!);
    expect(analyzer.snapshot().counters.traces).toBe(7);
    for (const trace of traces.slice(7)) batcher.add(trace);
    batcher.flush();
    expect(analyzer.snapshot().counters.traces).toBe(traces.length);
    expect(analyzer.finish(FINISHED_AT)).toEqual(expected);
  });
});
