// Tempo's tenant index, read from the real upstream files in place (AGPL test data, never copied):
// the zstd'd protobuf `index.pb.zst` (read first, as Tempo does), the raw-protobuf 1 000-block index,
// the production-scale 22 435-block `index.json.gz`, and the fallback when the proto index is broken.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverBlocks } from "../src/sources/blocks/discovery";
import { decodeTenantIndexProto, parseTenantIndexJsonGz, parseTenantIndexPbZst } from "../src/sources/blocks/tenant-index";
import { startS3rver, type RunningS3 } from "./support/s3rver";
import { zstdStored } from "./support/vparquet5-parquet";

const DATA = (rel: string) => fileURLToPath(new URL(`../../shared/upstream-data/tempo/tenant-index/${rel}`, import.meta.url));
const LEGACY = DATA("legacy-single-tenant/single-tenant");
const SYNTHETIC_PB = DATA("tenant-test-vParquet3/test/index.pb.uncompressed");
const SYNTHETIC_JSON = DATA("tenant-test-vParquet3/test/index.json.gz");
const LARGE = DATA("tenant-3-vParquet4-large/3/index.json.gz");

let s3: RunningS3;
beforeAll(async () => {
  s3 = await startS3rver(["idx"]);
});
afterAll(async () => {
  await s3?.stop();
});

describe("index.pb.zst (zstd + backend.v1.TenantIndex)", () => {
  it("decodes Tempo's real zstd'd index: the same blocks as the meta.json / meta.compacted.json next to it", async () => {
    const index = parseTenantIndexPbZst(await readFile(`${LEGACY}/index.pb.zst`), "single-tenant");
    const metaFiles = await Promise.all(
      ["709f51b4-4e04-464a-89e0-f1f8d956e633", "8ff0b000-3138-4665-84bf-630caff577a5", "f5ac87ed-77f1-408e-9c98-785692900e81"].map(
        async (id) => JSON.parse(await readFile(`${LEGACY}/${id}/meta.json`, "utf8")) as { blockID: string; format: string; tenantID: string },
      ),
    );
    expect(index.createdAt?.toISOString()).toBe("2026-01-21T18:55:11.746Z");
    expect(index.live.map((m) => [m.blockId, m.format, m.tenantId])).toEqual(metaFiles.map((m) => [m.blockID, m.format, m.tenantID]));
    expect(index.compacted).toBe(1); // fa599055-…/meta.compacted.json
    expect(index.rejected).toBe(0);
  });

  it("decodes the raw 1 000-block proto index, also through a zstd frame, with times, sizes and dedicated columns", async () => {
    const raw = await readFile(SYNTHETIC_PB);
    const direct = decodeTenantIndexProto(raw, "test");
    expect(parseTenantIndexPbZst(zstdStored(raw), "test")).toEqual(direct);
    expect(direct.live).toHaveLength(1000);
    expect(direct.compacted).toBe(0);
    expect(direct.createdAt?.toISOString()).toBe("2024-09-05T13:51:25.038Z");
    expect(direct.live[0]).toEqual({
      format: "vParquet3",
      blockId: "34720b7f-8c2f-4fbc-b53c-499cd909b578",
      tenantId: "test",
      startTime: new Date("2024-09-05T13:01:25.037Z"),
      endTime: new Date("2024-09-05T13:11:25.037Z"),
      totalObjects: 10,
      size: 12345,
      footerSize: 15775,
      compactionLevel: 1,
      dedicatedColumns: [
        { scope: "resource", name: "namespace", type: "string", options: [] },
        { scope: "span", name: "http.method", type: "string", options: [] },
        { scope: "span", name: "namespace", type: "string", options: [] },
      ],
    });
    // The JSON index of the same test folder is another generation of the same generator: same shape.
    const json = await parseTenantIndexJsonGz(await readFile(SYNTHETIC_JSON), "test");
    expect(json.live).toHaveLength(1000);
    const shape = (m: (typeof direct.live)[number]) => [m.format, m.totalObjects, m.size, m.footerSize, m.compactionLevel, m.dedicatedColumns];
    expect(new Set(direct.live.map((m) => JSON.stringify(shape(m))))).toEqual(new Set(json.live.map((m) => JSON.stringify(shape(m)))));
  });

  it("is preferred over index.json.gz; a broken one is recorded and the JSON index used", async () => {
    const store = s3.store("idx");
    await store.put("pref/test/index.pb.zst", zstdStored(await readFile(SYNTHETIC_PB)));
    await store.put("pref/test/index.json.gz", await readFile(SYNTHETIC_JSON), { contentType: "application/json", contentEncoding: "gzip" });
    const window = { start: new Date("2024-09-05T13:05:00Z"), end: new Date("2024-09-05T13:06:00Z") };
    const pb = await discoverBlocks(store, { prefix: "pref", tenant: "test", window });
    expect(pb).toMatchObject({ via: "tenant-index", index: "pref/test/index.pb.zst", outsideWindow: 0, compacted: 0, problems: [] });
    expect(pb.blocks).toHaveLength(1000);
    expect(pb.blocks.map((b) => b.meta.blockId)).toContain("34720b7f-8c2f-4fbc-b53c-499cd909b578"); // only in the proto index

    // Outside the proto index's range (13:01:25–13:12:01) nothing is selected, every block is counted.
    const later = await discoverBlocks(store, { prefix: "pref", tenant: "test", window: { start: new Date("2024-09-05T13:13:00Z"), end: new Date("2024-09-05T14:00:00Z") } });
    expect([later.blocks.length, later.outsideWindow]).toEqual([0, 1000]);

    const legacy = await readFile(`${LEGACY}/index.pb.zst`);
    await store.put("broken/test/index.pb.zst", legacy.subarray(0, legacy.length - 20)); // truncated zstd frame
    await store.put("broken/test/index.json.gz", await readFile(SYNTHETIC_JSON), { contentType: "application/json", contentEncoding: "gzip" });
    const broken = await discoverBlocks(store, { prefix: "broken", tenant: "test", window });
    expect(broken).toMatchObject({ via: "tenant-index", index: "broken/test/index.json.gz" });
    expect(broken.blocks).toHaveLength(1000);
    expect(broken.problems).toHaveLength(1);
    expect(broken.problems[0]!.key).toBe("broken/test/index.pb.zst");
    expect(broken.problems[0]!.message).toMatch(/^unreadable tenant index, reading index\.json\.gz instead: /);
  });
});

describe("production-scale index.json.gz (22 435 live + 3 264 compacted blocks)", () => {
  it("counts every block, and window selection validates and keeps only the blocks in the window", async () => {
    const body = await readFile(LARGE);
    const all = await parseTenantIndexJsonGz(body, "3");
    expect([all.live.length, all.compacted, all.rejected]).toEqual([22435, 3264, 0]);

    // Expected selection, computed straight from the JSON: blocks overlapping 12:00–13:00 (±1 s).
    const window = { start: new Date("2024-09-15T12:00:00Z"), end: new Date("2024-09-15T13:00:00Z") };
    const raw = JSON.parse(gunzipSync(body).toString("utf8")) as { meta: { blockID: string; startTime: string; endTime: string }[] };
    const expected = raw.meta.filter((m) => Date.parse(m.startTime) <= window.end.getTime() + 1000 && Date.parse(m.endTime) + 1000 >= window.start.getTime());
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(1000);

    const store = s3.store("idx");
    await store.put("large/3/index.json.gz", body, { contentType: "application/json", contentEncoding: "gzip" });
    const started = performance.now();
    const d = await discoverBlocks(store, { prefix: "large", tenant: "3", window });
    const elapsed = performance.now() - started;
    expect(d).toMatchObject({ via: "tenant-index", index: "large/3/index.json.gz", compacted: 3264, outsideWindow: 22435 - expected.length });
    expect(d.blocks.map((b) => b.meta.blockId).sort()).toEqual(expected.map((m) => m.blockID).sort());
    // Oldest first; only the selected metas were validated (the rest were counted from their times).
    expect(d.blocks.map((b) => b.meta.startTime.getTime())).toEqual([...d.blocks.map((b) => b.meta.startTime.getTime())].sort((a, b) => a - b));
    // One GET of a 1.5 MB object (24 MB of JSON); generous bound for a shared CI machine (≈1 s locally).
    expect(elapsed).toBeLessThan(10_000);
  });
});
