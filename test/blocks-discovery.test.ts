// Block discovery through Tempo's tenant index (index.json.gz, read in place from the upstream
// data), on s3rver.
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { discoverBlocks } from "../src/sources/blocks/discovery";
import { startS3rver, type RunningS3 } from "./support/s3rver";

const INDEX = fileURLToPath(new URL("../../shared/upstream-data/tempo/tenant-index/tenant-test-vParquet3/test/index.json.gz", import.meta.url));
let s3: RunningS3;

beforeAll(async () => {
  s3 = await startS3rver(["idx"]);
  await s3.store("idx").put("tempo/test/index.json.gz", await readFile(INDEX), { contentType: "application/json", contentEncoding: "gzip" });
});
afterAll(async () => {
  await s3?.stop();
});

it("uses the tenant index (one GET) and selects the blocks overlapping the window", async () => {
  const index = JSON.parse(gunzipSync(await readFile(INDEX)).toString("utf8")) as { meta: unknown[]; compacted?: unknown[] };
  // All 1000 synthetic metas cover 13:02:01–13:12:01.
  const d = await discoverBlocks(s3.store("idx"), { prefix: "tempo", tenant: "test", window: { start: new Date("2024-09-05T13:05:00Z"), end: new Date("2024-09-05T13:06:00Z") } });
  expect(d.via).toBe("tenant-index");
  expect(d.blocks.length).toBe(1000);
  expect(index.meta.length).toBe(1000);
  expect(d.compacted).toBe(index.compacted?.length ?? 0);
  const later = await discoverBlocks(s3.store("idx"), { prefix: "tempo", tenant: "test", window: { start: new Date("2024-09-05T13:12:03Z"), end: new Date("2024-09-05T14:00:00Z") } });
  expect(later.blocks).toEqual([]);
  expect(later.outsideWindow).toBe(1000);
  expect(d.blocks[0]!.folder).toMatch(/^tempo\/test\/[0-9a-f-]{36}$/);
  const first = d.blocks.find((b) => b.meta.dedicatedColumns.length > 0)!;
  expect(first.meta.dedicatedColumns.slice(0, 2)).toEqual([
    { scope: "resource", name: "namespace", type: "string", options: [] },
    { scope: "span", name: "http.method", type: "string", options: [] },
  ]);
});

it("reports a tenant with no objects at all (most often a misspelt tenant) instead of finding nothing quietly", async () => {
  const window = { start: new Date("2024-09-05T13:05:00Z"), end: new Date("2024-09-05T13:06:00Z") };
  const d = await discoverBlocks(s3.store("idx"), { prefix: "tempo", tenant: "tset", window });
  expect(d.via).toBe("listing");
  expect(d.blocks).toEqual([]);
  expect(d.problems).toEqual([{ key: "tempo/tset/", message: 'no objects for tenant "tset" (check the tenant name)' }]);
  // A tenant that has objects is not flagged, even when none of its blocks is in the window.
  const known = await discoverBlocks(s3.store("idx"), { prefix: "tempo", tenant: "test", window, useTenantIndex: false });
  expect(known.problems).toEqual([]);
});

it("says when the location or tenant is one level off (a block named as the tenant, or a tenant as the bucket)", async () => {
  const store = s3.store("idx");
  const block = "tempo/acme/1b2c3d4e-0000-4000-8000-000000000001";
  await store.put(`${block}/meta.json`, new TextEncoder().encode("{}"));
  await store.put(`${block}/data.parquet`, new TextEncoder().encode("PAR1"));
  const window = { start: new Date("2024-09-05T13:05:00Z"), end: new Date("2024-09-05T13:06:00Z") };
  // --tenant names the block: its files sit where block folders should.
  const asTenant = await discoverBlocks(store, { prefix: "tempo/acme", tenant: "1b2c3d4e-0000-4000-8000-000000000001", window, useTenantIndex: false });
  expect(asTenant.problems.map((p) => p.message)).toEqual([
    'no Tempo blocks for tenant "1b2c3d4e-0000-4000-8000-000000000001": 2 of its objects are not at tempo/acme/1b2c3d4e-0000-4000-8000-000000000001/<block ID>/<file> (do the location and --tenant name the bucket or prefix that holds the tenants, and a tenant, rather than a tenant and a block?)',
  ]);
  // The bucket's root named as a tenant: the tenant's blocks sit one level deeper.
  const asBucket = await discoverBlocks(store, { prefix: "", tenant: "tempo", window, useTenantIndex: false });
  expect(asBucket.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^no Tempo blocks for tenant "tempo": 2 of its objects are not at tempo\/<block ID>\/<file>/)]);
});
