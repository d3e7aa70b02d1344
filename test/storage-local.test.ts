// `tracelint audit --blocks DIR` / `--otlp-archive DIR`: the same audits on a local directory laid
// out like the bucket (Tempo's `local` storage backend, or a bucket copied to disk), and the
// directory store's ranged reads, which the Parquet reader depends on.
import { SpanKind } from "@opentelemetry/api";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { FsObjectStore } from "../src/cli/fs-object-store";
import { ObjectNotFoundError } from "../src/storage/object-store";
import type { Report } from "../src/report/schema";
import { runCli } from "./support/cli";

const V4 = fileURLToPath(new URL("../../shared/upstream-data/tempo/blocks/vParquet4-dev-schema/", import.meta.url));
const BLOCK_WINDOW = ["--start", "2022-07-04T11:00:00Z", "--end", "2022-07-04T12:00:00Z"];

let dir: string;
let archiveSpans: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracelint-local-"));
  // An awss3exporter archive copied to disk: one trace split over two uploads a minute apart
  // (gzip'd JSON, then protobuf), and one trace in a plain JSON object. Real SDK data.
  const epoch = Date.UTC(2026, 4, 3, 14, 5, 0);
  const rec = new TraceRecorder({ seed: 8, epochMs: epoch });
  const web = rec.tracer("web");
  const api = rec.tracer("api");
  const root = web.startSpan("GET /cart", { kind: SpanKind.SERVER, startTime: rec.time(0) });
  api.startSpan("GET /cart/{id}", { kind: SpanKind.SERVER, startTime: rec.time(2) }, rec.extract(rec.inject(root))).end(rec.time(8));
  const first = rec.spans().slice();
  root.end(rec.time(10));
  const second = rec.spans().slice(first.length);
  web.startSpan("GET /a", { kind: SpanKind.SERVER, startTime: rec.time(30_000) }).end(rec.time(30_001));
  const third = rec.spans().slice(first.length + second.length);
  archiveSpans = rec.spans().length;
  const partition = (minute: string) => join(dir, "archive", "year=2026", "month=05", "day=03", "hour=14", `minute=${minute}`);
  for (const minute of ["05", "06"]) await mkdir(partition(minute), { recursive: true });
  await writeFile(join(partition("05"), "traces_1.json.gz"), gzipSync(rec.toOtlpJson(first)));
  await writeFile(join(partition("06"), "traces_2.binpb"), rec.toOtlpProtobuf(second));
  await writeFile(join(partition("06"), "traces_3.json"), rec.toOtlpJson(third));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function reportOf(stdout: string): Report & { source: Record<string, unknown> } {
  return JSON.parse(stdout) as Report & { source: Record<string, unknown> };
}

describe("audits of a local directory", () => {
  it("--blocks DIR reads Tempo's blocks as from the bucket and names the directory by URL", async () => {
    const run = await runCli(["audit", "--blocks", V4, ...BLOCK_WINDOW, "--format", "json", "--fail-on", "never"]);
    expect(run.code).toBe(0);
    // The same counts as the s3rver run of this block (storage-cli.test.ts).
    expect(run.stderr).toContain("134 traces, 570 spans");
    const report = reportOf(run.stdout);
    expect(report.source).toMatchObject({ kind: "tempo-blocks", location: pathToFileURL(V4.replace(/\/$/, "")).href, tenant: "single-tenant", objectsRead: 1, objectsFailed: 0 });

    const viaUrl = await runCli(["audit", "--blocks", pathToFileURL(V4).href, ...BLOCK_WINDOW, "--format", "json", "--fail-on", "never"]);
    expect(viaUrl.code).toBe(0);
    expect(reportOf(viaUrl.stdout).findings).toEqual(report.findings);
  });

  it("--blocks refuses a tenant the bucket does not hold, and says when every block is outside the window", async () => {
    // A misspelt tenant used to audit nothing and exit 0, which would pass any CI gate.
    const typo = await runCli(["audit", "--blocks", V4, ...BLOCK_WINDOW, "--tenant", "nope"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('no tenant "nope" under');
    expect(typo.stderr).toContain("tenants there: single-tenant");
    const named = await runCli(["audit", "--blocks", V4, ...BLOCK_WINDOW, "--tenant", "single-tenant", "--format", "json", "--fail-on", "never"]);
    expect(named.code).toBe(0);
    expect(named.stderr).toContain("134 traces, 570 spans");
    // Progress in traces, out of the blocks' meta.json counts.
    expect(named.stderr).toContain("tracelint: reading about 134 traces\ntracelint: reading [########################] 134/134 traces, 0 failed");

    // The default window (the last hour) misses this 2022 block: the audit is empty and says why.
    const recent = await runCli(["audit", "--blocks", V4, "--format", "json", "--fail-on", "never"]);
    expect(recent.code).toBe(0);
    expect(recent.stderr).toContain("0 traces");
    expect(recent.stderr).toMatch(/1 block\(s\) lie outside \S+ – \S+; widen the window/);
    expect(named.stderr).not.toContain("widen the window");
  });

  it("--otlp-archive DIR combines a trace split across uploads, gzip'd or not", async () => {
    const run = await runCli([
      "audit", "--otlp-archive", join(dir, "archive"), "--start", "2026-05-03T13:50:00Z", "--end", "2026-05-03T14:20:00Z",
      "--partition-timezone", "UTC", "--format", "json", "--fail-on", "never",
    ]);
    expect(run.code).toBe(0);
    const report = reportOf(run.stdout);
    expect(report.summary.traces).toBe(2);
    expect(report.summary.spans).toBe(archiveSpans);
    expect(report.findings.filter((f) => ["orphan-span", "missing-root"].includes(f.ruleId))).toEqual([]);
    expect(report.source).toMatchObject({ kind: "otlp-archive", objectsRead: 3, objectsFailed: 0 });
  });

  it("--otlp-archive shows progress over the objects, and says why it read none: an empty prefix (exit 2) or a window without uploads", async () => {
    const archive = join(dir, "archive");
    const window = ["--start", "2026-05-03T13:50:00Z", "--end", "2026-05-03T14:20:00Z", "--partition-timezone", "UTC", "--format", "json", "--fail-on", "never"];
    const run = await runCli(["audit", "--otlp-archive", archive, ...window]);
    expect(run.stderr).toContain("tracelint: reading 3 objects");
    expect(run.stderr).toContain("tracelint: reading [########################] 3/3 objects, 0 failed");
    expect((await runCli(["audit", "--otlp-archive", archive, ...window, "-q"])).stderr).not.toContain("reading");

    const empty = join(dir, "empty-archive");
    await mkdir(empty, { recursive: true });
    const none = await runCli(["audit", "--otlp-archive", empty, ...window]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`tracelint: no objects at all under ${pathToFileURL(empty).href}: check the bucket and prefix`);

    const quiet = await runCli(["audit", "--otlp-archive", archive, "--start", "2026-05-03T10:00:00Z", "--end", "2026-05-03T11:00:00Z", "--partition-timezone", "UTC", "--format", "json"]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toContain("tracelint: no uploads in the partitions of 2026-05-03T10:00:00.000Z – 2026-05-03T11:00:00.000Z; check the window, --partition-format and --partition-timezone");
  });

  it("refuses a missing directory, other URL schemes and S3 flags with a directory (exit 2)", async () => {
    const missing = await runCli(["audit", "--blocks", join(dir, "nope")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--blocks: no such directory: ${join(dir, "nope")}`);
    const file = await runCli(["audit", "--otlp-archive", join(dir, "archive", "year=2026", "month=05", "day=03", "hour=14", "minute=06", "traces_3.json")]);
    expect(file.code).toBe(2);
    expect(file.stderr).toContain("--otlp-archive: no such directory (it is a file)");
    const scheme = await runCli(["audit", "--blocks", "gs://bucket"]);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toContain('expected s3://BUCKET[/PREFIX] or a local directory, got "gs://bucket"');
    const s3Flag = await runCli(["audit", "--blocks", V4, "--s3-endpoint", "http://127.0.0.1:1"]);
    expect(s3Flag.code).toBe(2);
    expect(s3Flag.stderr).toContain("--s3-endpoint applies to s3:// locations, not to a local directory");
  });
});

describe("FsObjectStore ranged reads", () => {
  it("reads [start, end) only, clamps at the end of the file, and reports missing keys as not found", async () => {
    const store = new FsObjectStore(dir);
    await store.put("ranges/bytes.bin", Uint8Array.from({ length: 100 }, (_, i) => i));
    expect([...(await store.getRange("ranges/bytes.bin", 5, 10))]).toEqual([5, 6, 7, 8, 9]);
    expect([...(await store.getRange("ranges/bytes.bin", 97, 200))]).toEqual([97, 98, 99]);
    expect((await store.getRange("ranges/bytes.bin", 150, 200)).byteLength).toBe(0);
    await expect(store.getRange("ranges/missing.bin", 0, 1)).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it("deletes an object, and a missing one without an error", async () => {
    const store = new FsObjectStore(dir);
    await store.put("scratch/a.bin", Uint8Array.of(1, 2, 3));
    await store.delete("scratch/a.bin");
    await expect(store.get("scratch/a.bin")).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(store.delete("scratch/a.bin")).resolves.toBeUndefined();
  });

  it("follows symbolic links to directories (a block linked into its tenant folder), each real directory once", async () => {
    const { mkdir, symlink } = await import("node:fs/promises");
    const store = new FsObjectStore(dir);
    await store.put("elsewhere/block-1/meta.json", new TextEncoder().encode("{}"));
    await mkdir(join(dir, "linked/tenant"), { recursive: true });
    await symlink(join(dir, "elsewhere/block-1"), join(dir, "linked/tenant/block-1"));
    await symlink(join(dir, "linked"), join(dir, "linked/tenant/loop")); // a cycle
    const keys: string[] = [];
    for await (const page of store.list("linked/")) keys.push(...page.objects.map((o) => o.key));
    expect(keys).toEqual(["linked/tenant/block-1/meta.json"]);
    expect(new TextDecoder().decode((await store.get("linked/tenant/block-1/meta.json")).body)).toBe("{}");
  });

  it("lists a prefix from its own directory, keys relative to the root", async () => {
    const store = new FsObjectStore(dir);
    const keys: string[] = [];
    for await (const page of store.list("archive/year=2026/month=05/day=03/hour=14/minute=06/")) keys.push(...page.objects.map((o) => o.key));
    expect(keys).toEqual(["archive/year=2026/month=05/day=03/hour=14/minute=06/traces_2.binpb", "archive/year=2026/month=05/day=03/hour=14/minute=06/traces_3.json"]);
    const none: string[] = [];
    for await (const page of store.list("no-such-dir/x")) none.push(...page.objects.map((o) => o.key));
    expect(none).toEqual([]);
  });
});

describe("progress lines in logs (not a terminal)", () => {
  it("says what it will read before the first fetch, a line per quarter, and the last line once", async () => {
    const { objectsProgress } = await import("../src/cli/progress");
    const lines: string[] = [];
    const io = { stdout: () => {}, stderr: (l: string) => lines.push(l), progress: () => {}, writeFile: async () => {}, stdoutIsTTY: false, stderrIsTTY: false, env: {} };
    const progress = objectsProgress(io, false, "traces", true);
    for (const done of [0, 1000, 2000, 3000, 4000]) progress.onProgress({ done, total: 4000, failed: 0 });
    progress.onProgress({ done: 4000, total: 4000, failed: 0 }); // the source's closing report
    expect(lines).toEqual([
      "tracelint: reading about 4000 traces",
      "tracelint: reading [######------------------] 1000/4000 traces, 0 failed",
      "tracelint: reading [############------------] 2000/4000 traces, 0 failed",
      "tracelint: reading [##################------] 3000/4000 traces, 0 failed",
      "tracelint: reading [########################] 4000/4000 traces, 0 failed",
    ]);
  });
});
