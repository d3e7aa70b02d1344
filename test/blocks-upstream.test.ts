// The three upstream Tempo blocks (vParquet3, vParquet4 dev schema, vParquet5-preview5), served by
// a real S3-compatible server seeded in place from ../shared/upstream-data (AGPL; never copied).
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinRules } from "../rules/index";
import { resolveConfig } from "../src/engine/config";
import { auditTempoBlocks, type ObjectSourceSection } from "../src/pipeline/object-audit";
import { discoverBlocks } from "../src/sources/blocks/discovery";
import { readerForFormat } from "../src/sources/blocks/formats";
import { readBlockTraces } from "../src/sources/blocks/read-block";
import type { Span } from "../src/model/span";
import { seedFromFolder, startS3rver, type RunningS3 } from "./support/s3rver";

const BLOCKS = fileURLToPath(new URL("../../shared/upstream-data/tempo/blocks/", import.meta.url));
const BLOCK_ID = "b27b0e53-66a0-4505-afd6-434ae3cd4a10";
const WINDOW = { start: new Date("2022-07-04T11:00:00Z"), end: new Date("2022-07-04T12:00:00Z") };

const CASES = [
  { folder: "vParquet3", bucket: "vparquet3", traces: 134, spans: 570 },
  { folder: "vParquet4-dev-schema", bucket: "vparquet4-dev", traces: 134, spans: 570 },
  { folder: "vParquet5-preview5", bucket: "vparquet5-preview5", traces: 133, spans: 566 },
] as const;

const STRUCTURE_RULES = ["orphan-span", "missing-root", "multiple-roots", "duplicate-span-id", "invalid-span-context", "parent-cycle", "invalid-timestamps", "partial-trace"];

let s3: RunningS3;

beforeAll(async () => {
  s3 = await startS3rver(CASES.map((c) => c.bucket));
  for (const c of CASES) {
    // bloom-0 is not read by tracelint; leave it out to keep seeding fast.
    await seedFromFolder(s3.store(c.bucket), `${BLOCKS}${c.folder}`, "tempo", (rel) => rel.endsWith("bloom-0") || rel === "COLUMNS.txt");
  }
});
afterAll(async () => {
  await s3?.stop();
});

describe.each(CASES)("upstream block $folder", (c) => {
  it("decodes to exactly the documented traces and spans, with zero structure findings", async () => {
    const store = s3.store(c.bucket);
    const config = resolveConfig({}, builtinRules, "defaults");
    const report = await auditTempoBlocks(store, config, { location: `s3://${c.bucket}/tempo`, prefix: "tempo", tenant: "single-tenant", window: WINDOW });
    expect(report.summary.traces).toBe(c.traces);
    expect(report.summary.spans).toBe(c.spans);
    expect(report.summary.inputErrors).toEqual([]);
    // The structure rules that exist (rules/): all ran, none found anything in this clean data.
    expect(report.rules.map((r) => r.id)).toEqual(expect.arrayContaining(STRUCTURE_RULES));
    expect(report.findings.filter((f) => STRUCTURE_RULES.includes(f.ruleId))).toEqual([]);
    const source = (report as unknown as { source: ObjectSourceSection }).source;
    expect(source.kind).toBe("tempo-blocks");
    expect(source.discovery).toBe("listing");
    expect(source.objects).toHaveLength(1);
    expect(source.objects[0]).toMatchObject({ key: `tempo/single-tenant/${BLOCK_ID}/data.parquet`, status: "read", rowGroups: { total: 1, read: 1 }, traces: c.traces, spans: c.spans });
    expect(source.bytesRead).toBeGreaterThan(0);
  });

  it("maps dedicated and well-known columns back to attribute keys", async () => {
    const store = s3.store(c.bucket);
    const discovery = await discoverBlocks(store, { prefix: "tempo", tenant: "single-tenant", window: WINDOW });
    const block = discovery.blocks[0]!;
    const spans: Span[] = [];
    for await (const t of readBlockTraces(store, block, readerForFormat(block.meta.format)!)) spans.push(...t.spans);
    const first = spans.find((s) => s.service === "frontend" && s.attributes.has("sampler.type"))!;
    expect(first.resource.attributes.get("ip")).toBe("172.26.0.5");
    expect(first.attributes.get("instance")).toBe("frontend-6b654dbf57-zq8dt");
    expect(first.attributes.get("region")).toBe("us-east-1");
    expect(first.attributes.get("sampler.type")).toBe("const");
    expect(typeof first.attributes.get("version")).toBe("string");
    expect(first.attributes.get("http.method")).toBe("GET");
    expect(spans.filter((s) => s.status.code === 2)).toHaveLength(3);
    expect(new Set(spans.map((s) => s.traceId.length))).toEqual(new Set([32]));
  });
});
