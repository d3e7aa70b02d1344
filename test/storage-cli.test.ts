// `tracelint audit --blocks` / `--otlp-archive` end to end through the CLI, against s3rver, with
// S3 settings from the environment (AWS_ENDPOINT_URL_S3) and from flags.
import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObjectNotFoundError } from "../src/storage/object-store";
import { S3ObjectStore } from "../src/storage/s3";
import { seedFromFolder, startS3rver, type RunningS3 } from "./support/s3rver";
import { runCli } from "./support/cli";

const LEGACY = fileURLToPath(new URL("../../shared/upstream-data/tempo/tenant-index/legacy-single-tenant/", import.meta.url));
const V4 = fileURLToPath(new URL("../../shared/upstream-data/tempo/blocks/vParquet4-dev-schema/", import.meta.url));

let s3: RunningS3;
const env = () => ({ AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1", AWS_ENDPOINT_URL_S3: s3.endpoint });

beforeAll(async () => {
  s3 = await startS3rver(["legacy", "tempo", "mixed"]);
  await seedFromFolder(s3.store("legacy"), LEGACY);
  await seedFromFolder(s3.store("tempo"), V4, "", (rel) => rel.endsWith("bloom-0") || rel === "COLUMNS.txt");
  // One tenant with only block folders, another with a tenant index right under its folder: a
  // delimiter listing of the bucket root (s3rver's, at least) then names only the second one.
  await seedFromFolder(s3.store("mixed"), V4, "", (rel) => rel.endsWith("bloom-0") || rel === "COLUMNS.txt");
  await s3.store("mixed").put("other/index.json.gz", new Uint8Array([0x1f, 0x8b]), {});
});
afterAll(async () => {
  await s3?.stop();
});

describe("tracelint audit --blocks", () => {
  it("audits the upstream block from the environment-configured endpoint, picking the only tenant", async () => {
    const run = await runCli(["audit", "--blocks", "s3://tempo", "--start", "2022-07-04T11:00:00Z", "--end", "2022-07-04T12:00:00Z", "--s3-path-style", "--format", "json", "--fail-on", "never"], env());
    expect(run.stderr).toContain("134 traces, 570 spans");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.source).toMatchObject({ kind: "tempo-blocks", location: "s3://tempo", tenant: "single-tenant", objectsRead: 1, objectsFailed: 0 });
  });

  it("reports legacy and unknown block formats per block, skips the compacted one, and does not crash", async () => {
    const run = await runCli(
      ["audit", "--blocks", "s3://legacy", "--tenant", "single-tenant", "--start", "0001-01-01T00:00:00Z", "--end", "2000-01-01T00:00:00Z", "--s3-endpoint", s3.endpoint, "--s3-path-style", "--format", "json"],
      { ...env(), AWS_ENDPOINT_URL_S3: undefined },
    );
    const report = JSON.parse(run.stdout);
    expect(report.source.discovery).toBe("tenant-index"); // index.pb.zst (zstd protobuf), no index.json.gz
    expect(report.source.skipped.compactedBlocks).toBe(1);
    const byFormat = Object.fromEntries(report.source.objects.map((o: { format: string }) => [o.format, o]));
    expect(byFormat.v3).toMatchObject({ status: "skipped", message: 'unsupported block format "v3" (supported: vParquet3, vParquet4, vParquet5)' });
    expect(byFormat.v4).toMatchObject({ status: "skipped" });
    // A vParquet5 meta with no data.parquet: recorded as a failed object.
    expect(byFormat.vParquet5).toMatchObject({ status: "failed", message: "data.parquet not found" });
    expect(report.summary.inputErrors).toHaveLength(3);
    expect(run.code).toBe(2); // nothing could be read
  });

  it("refuses a malformed location and a bad --sample with exit code 2", async () => {
    expect((await runCli(["audit", "--blocks", "http://x"], env())).code).toBe(2);
    const bad = await runCli(["audit", "--blocks", "s3://tempo", "--sample", "2"], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--sample must be a fraction in (0, 1]");
  });

  it("finds an explicitly named tenant by its own folder, not by the bucket's tenant list", async () => {
    const window = ["--start", "2022-07-04T11:00:00Z", "--end", "2022-07-04T12:00:00Z", "--s3-path-style", "--no-tenant-index", "--format", "json", "--fail-on", "never"];
    const named = await runCli(["audit", "--blocks", "s3://mixed", "--tenant", "single-tenant", ...window], env());
    expect(named.code).toBe(0);
    expect(named.stderr).toContain("134 traces, 570 spans");
    const typo = await runCli(["audit", "--blocks", "s3://mixed", "--tenant", "single-tenat", ...window], env());
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/no tenant "single-tenat" under s3:\/\/mixed; tenants there: /);
  });

  it("refuses options that only the other kind of audit reads, unsupported partition tokens and a non-URL endpoint (exit 2)", async () => {
    const cases: [string[], string][] = [
      [["--otlp-archive", "s3://archive", "--sample", "0.1"], "--sample applies to --blocks only"],
      [["--otlp-archive", "s3://archive", "--no-tenant-index"], "--no-tenant-index applies to --blocks only"],
      [["--blocks", "s3://tempo", "--partition-format", "%Y"], "--partition-format applies to --otlp-archive only"],
      [["--blocks", "s3://tempo", "--margin", "5m"], "--margin applies to --otlp-archive only"],
      [["--otlp-archive", "s3://archive", "--partition-format", "%Y/%j/%H"], '--partition-format: partition format "%Y/%j/%H": %j is not supported (only %Y %m %d %H %M and %%)'],
      [["--blocks", "s3://tempo", "--s3-endpoint", "not-a-url"], '--s3-endpoint must be an http(s) URL such as http://127.0.0.1:9000 (got "not-a-url")'],
    ];
    const config = join(tmpdir(), `tracelint-s3-config-${process.pid}.json`);
    await writeFile(config, JSON.stringify({ s3: { pathstyle: true } }));
    cases.push([["--blocks", "s3://tempo", "--config", config], `${config}: s3: Unrecognized key: "pathstyle" (keys: endpoint, pathStyle, region)`]);
    for (const [args, message] of cases) {
      const run = await runCli(["audit", ...args], env());
      expect(run.code).toBe(2);
      expect(run.stderr.trim()).toBe(`tracelint: ${message}`);
    }
  });

  it("says which endpoint failed when the bucket cannot be listed", async () => {
    const run = await runCli(["audit", "--blocks", "s3://no-such-bucket", "--tenant", "t", "--s3-path-style"], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read s3:\/\/no-such-bucket: NoSuchBucket/);
  });
});

describe("S3ObjectStore on s3rver", () => {
  it("deletes an object, and a missing one without an error (run clean-up relies on both)", async () => {
    const store = s3.store("tempo");
    await store.put("scratch/a.bin", Uint8Array.of(1, 2, 3));
    expect([...(await store.get("scratch/a.bin")).body]).toEqual([1, 2, 3]);
    await store.delete("scratch/a.bin");
    await expect(store.get("scratch/a.bin")).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(store.delete("scratch/a.bin")).resolves.toBeUndefined();
  });
});

describe("S3ObjectStore conditional create", () => {
  // s3rver ignores If-None-Match, so this is a loopback endpoint that honours it the way AWS S3, R2
  // and MinIO do: 412 PreconditionFailed when the key exists.
  it("sends If-None-Match: * and reads 412 as 'someone else created it'", async () => {
    const stored = new Map<string, Buffer>();
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        seen.push(req.headers["if-none-match"] as string | undefined);
        if (req.method === "PUT" && req.headers["if-none-match"] === "*" && stored.has(req.url!)) {
          res.writeHead(412, { "content-type": "application/xml" }).end("<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>");
          return;
        }
        stored.set(req.url!, Buffer.concat(chunks));
        res.writeHead(200, { etag: '"1"' }).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const store = new S3ObjectStore({
      bucket: "claims",
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      forcePathStyle: true,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    try {
      expect(await store.createIfAbsent("state/a/cron-claims/t.json", Uint8Array.of(1))).toBe(true);
      expect(await store.createIfAbsent("state/a/cron-claims/t.json", Uint8Array.of(2))).toBe(false);
      expect(seen).toEqual(["*", "*"]);
      expect([...stored.values()].map((b) => [...b])).toEqual([[1]]);
    } finally {
      store.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
