// The archive shuffle on Node, with a small chunk size: the demo estate (real SDK spans) as archive
// objects in a directory, one shuffle batch writing each partition's spans in several chunk files,
// and the partition batches analysing their traces whole from those files. (The Worker test in
// test/workers/archive-runs.test.ts runs the whole fan-out; chunks there stay single.)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinRules } from "../rules/index";
import { loadDemoSpans } from "../scripts/demo";
import { FsObjectStore } from "../src/cli/fs-object-store";
import { encodeOtlpJson, encodeTracesDataProto } from "../src/encode/index";
import { Analyzer } from "../src/engine/analyzer";
import { resolveConfig } from "../src/engine/config";
import type { Span } from "../src/model/span";
import { hashPartitions } from "../src/runs/partition";
import { RunStore } from "../src/runs/run-store";
import { analyseShuffled, removeShuffleFiles, shuffleObjects } from "../src/runs/shuffle";
import type { RunPlan } from "../src/runs/types";
import { listAll } from "../src/storage/object-store";

let dir: string;
let spans: Span[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracelint-shuffle-"));
  spans = await loadDemoSpans();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function keys(store: FsObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const info of listAll(store, prefix)) out.push(info.key);
  return out.sort();
}

describe("archive shuffle", () => {
  it("writes each partition's spans in chunks and the partitions analyse every trace whole, once", async () => {
    const traces = new FsObjectStore(join(dir, "bucket"));
    const runs = new RunStore(new FsObjectStore(join(dir, "reports")));
    // One object per service, alternately JSON and protobuf.
    const services = [...new Set(spans.map((s) => s.service))].sort();
    const archiveObjects = [];
    for (const [i, service] of services.entries()) {
      const mine = spans.filter((s) => s.service === service);
      const key = `archive/${service}.${i % 2 === 0 ? "json" : "binpb"}`;
      await traces.put(key, i % 2 === 0 ? new TextEncoder().encode(encodeOtlpJson(mine)) : encodeTracesDataProto(mine));
      archiveObjects.push({ key, size: 0, marshaler: i % 2 === 0 ? ("otlp_json" as const) : ("otlp_proto" as const), gzipName: false });
    }
    const partitions = hashPartitions(2);
    const plan = {
      runId: "20260302T100000Z-0000abcd",
      objects: {
        kind: "otlp-archive",
        blocks: [],
        archiveObjects,
        partitions: { b00001: partitions[0]!, b00002: partitions[1]! },
        estimatedTraces: archiveObjects.length,
        bytesRead: 0,
        listRequests: 0,
        problems: [],
        shuffle: { s00001: { first: 0, count: archiveObjects.length } },
      },
    } as unknown as RunPlan;

    const read = await shuffleObjects(traces, runs, plan, "s00001", 50);
    expect(read.objects.map((o) => [o.key, o.status, o.spans])).toEqual(
      archiveObjects.map((o, i) => [o.key, "read", spans.filter((s) => s.service === services[i]).length]),
    );
    expect(read.failures).toEqual([]);
    // 208 spans in chunks of ≥ 50 spans: more than one file per partition.
    const files = await keys(runs.objects as FsObjectStore, `runs/${plan.runId}/shuffle/`);
    for (const batchId of ["b00001", "b00002"]) expect(files.filter((f) => f.includes(`/${batchId}/`)).length).toBeGreaterThan(1);

    const window = { start: new Date(0), end: new Date("2100-01-01T00:00:00Z") };
    const config = resolveConfig({}, builtinRules);
    const whole = new Analyzer(config);
    let traceCount = 0;
    for (const batchId of ["b00001", "b00002"]) {
      const analyzer = new Analyzer(config);
      const part = await analyseShuffled(runs, plan.runId, batchId, window, analyzer);
      expect(part.inputErrors).toEqual([]);
      whole.merge(analyzer.snapshot());
      traceCount += analyzer.finish(new Date(0)).summary.traces;
    }
    // Every trace in exactly one partition, whole: 42 traces, and the estate's orphans and no more.
    expect(traceCount).toBe(42);
    const merged = whole.finish(new Date(0));
    expect(merged.summary).toMatchObject({ traces: 42, spans: 208 });
    expect(merged.findings.filter((f) => f.ruleId === "orphan-span").map((f) => f.occurrences)).toEqual([4]);

    // A re-delivered shuffle batch writes the same files; after the merge they are removed.
    await shuffleObjects(traces, runs, plan, "s00001", 50);
    expect(await keys(runs.objects as FsObjectStore, `runs/${plan.runId}/shuffle/`)).toEqual(files);
    expect(await removeShuffleFiles(runs, plan.runId)).toBe(files.length + 1);
    expect(await keys(runs.objects as FsObjectStore, `runs/${plan.runId}/`)).toEqual([]);
  });
});
