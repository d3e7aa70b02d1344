// `tracelint serve` on Node: the same API over real HTTP with reports in a directory, an audit
// started by POST against the Tempo-compatible server on 127.0.0.1 (the demo estate, recorded with
// the real SDK), the in-process cron scheduler on a fake clock, and the CLI's argument handling.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDemoSpans } from "../scripts/demo";
import { CronScheduler, startServe, type RunningServer } from "../src/cli/serve";
import { fakeTimers } from "./support/fake-timers";
import { FsObjectStore } from "../src/cli/fs-object-store";
import { startTempoServer, type RunningTempoServer } from "../src/cli/tempo-server";
import { parseDeploymentConfig, type AuditConfig } from "../src/config/deployment";
import { deltaToEndAt, shiftSpans } from "../src/tempo-server/index";
import { runCli } from "./support/cli";

const NOW = new Date("2026-03-02T10:00:00Z");
/** Tempo's upstream vParquet4 test block, read in place as a `local` storage backend directory. */
const V4 = fileURLToPath(new URL("../../shared/upstream-data/tempo/blocks/vParquet4-dev-schema/", import.meta.url));
const TOKEN = "serve-test-token";
let tempo: RunningTempoServer;
/** The same estate behind Tempo's multi-tenancy: only tenant "prod" sees it. */
let tenantTempo: RunningTempoServer;
let server: RunningServer;
let dir: string;
let receiver: Server;
/** Alerts received by the webhook, with whether the run's report was already stored then. */
const received: { body: { alertKind: string; reportUrl: string | null }; reportStored: boolean }[] = [];

beforeAll(async () => {
  const recorded = await loadDemoSpans();
  const spans = shiftSpans(recorded, deltaToEndAt(recorded, BigInt(NOW.getTime() - 10 * 60_000) * 1_000_000n));
  tempo = await startTempoServer({ spans, now: () => NOW.getTime() });
  tenantTempo = await startTempoServer({ spans, tenant: "prod", now: () => NOW.getTime() });
  dir = await mkdtemp(join(tmpdir(), "tracelint-serve-"));
  receiver = createServer((req, res) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d.toString()));
    req.on("end", () => {
      const body = JSON.parse(text) as { alertKind: string; reportUrl: string | null };
      const runId = /\/api\/reports\/(.+)\.html$/.exec(body.reportUrl ?? "")?.[1] ?? "";
      received.push({ body, reportStored: existsSync(join(dir, "reports/alerting/2026/03/02", `${runId}.json`)) && existsSync(join(dir, "reports/alerting/latest.json")) });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  const source = { kind: "tempo", url: tempo.url, since: "1h", perService: 20, traces: 50 };
  const config = parseDeploymentConfig({
    publicUrl: "https://tracelint.test",
    audits: [
      { name: "estate", source },
      { name: "alerting", source, alerts: { destinations: [{ name: "hook", type: "generic", url: hook }] } },
      { name: "local-blocks", source: { kind: "blocks", bucket: pathToFileURL(V4).href, tenant: "single-tenant" } },
      // A misspelt tenant: every search answers, with nothing.
      { name: "wrong-tenant", source: { ...source, url: tenantTempo.url, tenant: "nope" }, alerts: { destinations: [{ name: "hook", type: "generic", url: hook }] } },
    ],
  });
  server = await startServe({ config, store: new FsObjectStore(dir), env: { API_TOKEN: TOKEN }, host: "127.0.0.1", port: 0, scheduler: false, log: () => {} });
});

afterAll(async () => {
  await server?.close();
  await tempo?.close();
  await tenantTempo?.close();
  await new Promise((r) => receiver?.close(r));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const auth = { Authorization: `Bearer ${TOKEN}` };

describe("tracelint serve over HTTP", () => {
  it("healthz is open, the API needs the token", async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ ok: true, service: "tracelint", version: "0.1.0" });
    const denied = await fetch(`${server.url}/api/reports`);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ error: { code: "unauthorized", message: "missing bearer token (Authorization: Bearer <token>)" } });
    expect((await fetch(`${server.url}/api/reports`, { headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
  });

  it("a known route asked with another method is 405 with Allow and the API's error shape, token or not; unknown routes stay 404", async () => {
    for (const [method, path, allow, withToken] of [
      ["GET", "/api/audits", "POST", true],
      ["GET", "/api/audits", "POST", false],
      ["POST", "/healthz", "GET, HEAD", false],
      ["DELETE", "/api/reports/20260302T100000Z-00000000", "GET, HEAD", true],
      ["PUT", "/api/audits/20260302T100000Z-00000000", "GET, HEAD", true],
      ["POST", "/", "GET, HEAD", true],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, { method, ...(withToken ? { headers: auth } : {}) });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe(allow);
      const route = path.replace(/\/\d{8}T\d{6}Z-[0-9a-f]{8}$/, "/:id");
      expect(await res.json()).toEqual({ error: { code: "method_not_allowed", message: `${method} is not allowed on ${route} (allowed: ${allow})` } });
    }
    expect((await fetch(`${server.url}/healthz`, { method: "HEAD" })).status).toBe(200);
    const unknown = await fetch(`${server.url}/api/nope`, { method: "POST", headers: auth });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: "not_found", message: "no such route" } });
  });

  it("POST /api/audits runs the audit; the report lands in the directory and is served in every format", async () => {
    const res = await fetch(`${server.url}/api/audits`, { method: "POST", headers: auth, body: JSON.stringify({ audit: "estate", at: NOW.toISOString() }) });
    expect(res.status).toBe(202);
    const { runId, status } = (await res.json()) as { runId: string; status: string };
    await server.idle();
    const record = (await (await fetch(`${server.url}${status}`, { headers: auth })).json()) as { state: string; report: { base: string; traces: number } };
    expect(record).toMatchObject({ state: "done", report: { base: `reports/estate/2026/03/02/${runId}`, traces: 42 } });
    const onDisk = JSON.parse(await readFile(join(dir, `${record.report.base}.json`), "utf8")) as { summary: { traces: number; spans: number } };
    expect(onDisk.summary).toMatchObject({ traces: 42, spans: 208 });
    expect(JSON.parse(await readFile(join(dir, "reports/estate/latest.json"), "utf8"))).toMatchObject({ runId, state: "done" });
    const md = await fetch(`${server.url}/api/reports/${runId}.md`, { headers: auth });
    expect(await md.text()).toContain("propagation-gap");
    const list = (await (await fetch(`${server.url}/api/reports?audit=estate`, { headers: auth })).json()) as { reports: { runId: string }[] };
    expect(list.reports.map((r) => r.runId)).toEqual([runId]);
    const page = await (await fetch(`${server.url}/`, { headers: auth })).text();
    expect(page).toContain(`/api/reports/${runId}.html`);
  });

  it("refuses an oversized request body before reading it, and an audit filter that is not an audit name", async () => {
    for (const audit of ["../../etc", "%00", "Estate"]) {
      const res = await fetch(`${server.url}/api/reports?audit=${audit}`, { headers: auth });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { code: "bad_request", message: "audit must be an audit name (lower-case letters, digits and dashes)" } });
    }
    // Last: the server answers before reading the body and closes that connection.
    const huge = await fetch(`${server.url}/api/audits`, { method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify({ audit: "estate", pad: "x".repeat(1024 * 1024) }) });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toEqual({ error: { code: "payload_too_large", message: "the request body is over 16384 bytes" } });
  });

  it("a scheduled run names the searches that kept failing among its input errors", async () => {
    tempo.setFaults([{ fault: { type: "status", status: 502, body: "bad gateway" }, routes: ["search"], query: '"fraud-check"' }]);
    try {
      const res = await fetch(`${server.url}/api/audits`, { method: "POST", headers: auth, body: JSON.stringify({ audit: "estate", at: NOW.toISOString() }) });
      const { status } = (await res.json()) as { status: string };
      await server.idle();
      const record = (await (await fetch(`${server.url}${status}`, { headers: auth })).json()) as { state: string; report: { base: string } };
      expect(record.state).toBe("done");
      const report = JSON.parse(await readFile(join(dir, `${record.report.base}.json`), "utf8")) as {
        summary: { inputErrors: { file: string; message: string }[] };
        source: { searches: { run: number; failed: number } };
      };
      expect(report.source.searches.failed).toBeGreaterThan(0);
      const failed = report.summary.inputErrors.filter((e) => e.file.startsWith("search "));
      expect(failed).toHaveLength(report.source.searches.failed);
      expect(new Set(failed.map((e) => `${e.file}: ${e.message}`))).toEqual(new Set(["search service fraud-check: HTTP 502 (bad gateway), after 4 attempt(s)"]));
    } finally {
      tempo.setFaults([]);
    }
  }, 30_000);

  it("a run that fetched none of its traces fails instead of publishing an empty report that would become the baseline", async () => {
    const latestBefore = await readFile(join(dir, "reports/estate/latest.json"), "utf8");
    tempo.setFaults([{ fault: { type: "status", status: 500, body: "boom" }, routes: ["trace-v2", "trace-v1"] }]);
    try {
      const res = await fetch(`${server.url}/api/audits`, { method: "POST", headers: auth, body: JSON.stringify({ audit: "estate", at: NOW.toISOString() }) });
      const { status } = (await res.json()) as { status: string };
      await server.idle();
      const record = (await (await fetch(`${server.url}${status}`, { headers: auth })).json()) as { state: string; error?: string; report?: unknown };
      expect(record.state).toBe("failed");
      expect(record.error).toMatch(/^none of the 42 sampled traces could be fetched \(HTTP 500 \(boom\), after 4 attempt\(s\)\)$/);
      expect(record.report ?? null).toBeNull();
      // The last good report stays the latest (and so the next run's baseline).
      expect(await readFile(join(dir, "reports/estate/latest.json"), "utf8")).toBe(latestBefore);
    } finally {
      tempo.setFaults([]);
    }
  }, 60_000);

  it("reads an object-storage audit's blocks from a file:/// directory (Tempo's local backend)", async () => {
    // The window ending 5 min (the default ingestion delay) before `at`: 11:00–12:00, as the CLI test.
    const res = await fetch(`${server.url}/api/audits`, { method: "POST", headers: auth, body: JSON.stringify({ audit: "local-blocks", at: "2022-07-04T12:05:00Z" }) });
    expect(res.status).toBe(202);
    const { status } = (await res.json()) as { status: string };
    await server.idle();
    const record = (await (await fetch(`${server.url}${status}`, { headers: auth })).json()) as { state: string; report: { base: string } };
    expect(record.state).toBe("done");
    const report = JSON.parse(await readFile(join(dir, `${record.report.base}.json`), "utf8")) as { summary: { traces: number; spans: number }; source: Record<string, unknown> };
    // The same counts as `tracelint audit --blocks DIR` and the s3rver run of this block.
    expect(report.summary).toMatchObject({ traces: 134, spans: 570 });
    expect(report.source).toMatchObject({ kind: "tempo-blocks", location: pathToFileURL(V4).href, tenant: "single-tenant", objectsRead: 1, objectsFailed: 0 });
  });

  it("alerts go out after the report, latest pointer and history are stored, and link to the report", async () => {
    const res = await fetch(`${server.url}/api/audits`, { method: "POST", headers: auth, body: JSON.stringify({ audit: "alerting", at: NOW.toISOString() }) });
    const { runId, status } = (await res.json()) as { runId: string; status: string };
    await server.idle();
    expect(received.map((r) => r.body.alertKind)).toEqual(["findings"]);
    expect(received[0]!.body.reportUrl).toBe(`https://tracelint.test/api/reports/${runId}.html`);
    expect(received[0]!.reportStored).toBe(true);
    const record = (await (await fetch(`${server.url}${status}`, { headers: auth })).json()) as { alerts: unknown };
    expect(record.alerts).toEqual({ queued: 1, delivered: 1, failed: 0, pending: 0 });
  });

  it("a run that read no trace at all (a misspelt tenant, an empty window) fails with the reason and an audit-failed alert, and never becomes latest", async () => {
    const post = async (body: unknown) => {
      const res = await fetch(`${server.url}/api/audits`, { method: "POST", headers: auth, body: JSON.stringify(body) });
      expect(res.status).toBe(202);
      const { status } = (await res.json()) as { status: string };
      await server.idle();
      return (await (await fetch(`${server.url}${status}`, { headers: auth })).json()) as { runId: string; state: string; error: string | null; report: unknown; alerts: unknown };
    };
    const wrong = await post({ audit: "wrong-tenant", at: NOW.toISOString() });
    expect(wrong).toMatchObject({ state: "failed", report: null, alerts: { queued: 1, delivered: 1, failed: 0, pending: 0 } });
    expect(wrong.error).toBe(
      'Tempo found no traces in the window 2026-03-02T08:55:00.000Z – 2026-03-02T09:55:00.000Z for tenant "nope": check the audit\'s tenant (another tenant\'s traces are invisible), its window (since, ingestionDelay) and the path prefix of its url',
    );
    expect(received.at(-1)!.body.alertKind).toBe("audit-failed");
    expect(existsSync(join(dir, "reports/wrong-tenant/latest.json"))).toBe(false);
    const history = JSON.parse(await readFile(join(dir, "reports/wrong-tenant/index.json"), "utf8")) as { runId: string; state: string; error: string }[];
    expect(history).toEqual([expect.objectContaining({ runId: wrong.runId, state: "failed", error: wrong.error })]);
    expect(await (await fetch(`${server.url}/`, { headers: auth })).text()).toContain(`last run ${wrong.runId} failed: Tempo found no traces`);
    // An audit with a good report: a window without traces fails too, and the good report stays the baseline.
    const latestBefore = await readFile(join(dir, "reports/estate/latest.json"), "utf8");
    const empty = await post({ audit: "estate", at: "2026-03-01T10:00:00Z" });
    expect(empty).toMatchObject({ state: "failed", report: null });
    expect(empty.error).toMatch(/^Tempo found no traces in the window 2026-03-01T08:55:00\.000Z – 2026-03-01T09:55:00\.000Z: check/);
    expect(await readFile(join(dir, "reports/estate/latest.json"), "utf8")).toBe(latestBefore);
    // Object storage: no block in the window.
    const blocks = await post({ audit: "local-blocks", at: "2022-07-01T12:05:00Z" });
    expect(blocks).toMatchObject({ state: "failed", report: null });
    expect(blocks.error).toBe(`no Tempo blocks in the window 2022-07-01T11:00:00.000Z – 2022-07-01T12:00:00.000Z at ${pathToFileURL(V4).href} (tenant "single-tenant")`);
  });
});

describe("in-process cron scheduler", () => {
  const audit = (name: string, cron: string) => ({ name, cron }) as AuditConfig;

  it("fires each audit at its cron times with the scheduled time, and skips a fire while the previous run is still going", async () => {
    const timers = fakeTimers(new Date("2026-03-06T05:58:30Z")); // a Friday
    const fired: string[] = [];
    const logs: string[] = [];
    let release: () => void = () => {};
    const scheduler = new CronScheduler(
      [audit("quarter", "*/15 * * * *"), audit("weekday", "0 6 * * mon-fri")],
      async (a, at) => {
        fired.push(`${a.name} ${at.toISOString()}`);
        if (a.name === "quarter" && fired.length === 1) await new Promise<void>((r) => (release = r));
      },
      (level, message) => logs.push(`${level} ${message}`),
      timers,
    );
    expect(scheduler.next()).toEqual({ quarter: "2026-03-06T06:00:00.000Z", weekday: "2026-03-06T06:00:00.000Z" });
    scheduler.start();
    await timers.advance(90_000); // 06:00
    await timers.advance(15 * 60_000); // 06:15: the first quarter run is still going
    release();
    await new Promise((r) => setImmediate(r));
    await timers.advance(15 * 60_000); // 06:30
    await timers.advance(3 * 86_400_000); // through the weekend to Monday 06:00 and beyond
    scheduler.stop();
    expect(fired.slice(0, 3)).toEqual(["quarter 2026-03-06T06:00:00.000Z", "weekday 2026-03-06T06:00:00.000Z", "quarter 2026-03-06T06:30:00.000Z"]);
    expect(logs).toContain("warn audit quarter: skipped the 2026-03-06T06:15:00.000Z run, the previous one is still running");
    const weekday = fired.filter((f) => f.startsWith("weekday"));
    expect(weekday).toEqual(["weekday 2026-03-06T06:00:00.000Z", "weekday 2026-03-09T06:00:00.000Z"]);
  });
});

describe("several replicas with the scheduler on one report store", () => {
  it("run each cron fire once: the replica that claims it runs it, the others log and skip", async () => {
    const shared = await mkdtemp(join(tmpdir(), "tracelint-replicas-"));
    const config = parseDeploymentConfig({
      audits: [{ name: "local-blocks", cron: "*/15 * * * *", source: { kind: "blocks", bucket: pathToFileURL(V4).href, tenant: "single-tenant" } }],
    });
    const replicas: { running: RunningServer; timers: ReturnType<typeof fakeTimers>; logs: string[] }[] = [];
    // Claims from earlier fires: older than a week (removed by the next winner) and from three days ago (kept).
    const seedClaims = new FsObjectStore(shared);
    for (const at of ["2022-06-01T00:00:00.000Z", "2022-07-01T00:00:00.000Z"]) await seedClaims.put(`state/local-blocks/cron-claims/${at}.json`, Uint8Array.of(123, 125));
    try {
      for (let i = 0; i < 2; i++) {
        const timers = fakeTimers(new Date("2022-07-04T11:59:30Z"));
        const logs: string[] = [];
        const running = await startServe({ config, store: new FsObjectStore(shared), env: { API_TOKEN: TOKEN }, host: "127.0.0.1", port: 0, timers, log: (level, message) => logs.push(`${level} ${message}`) });
        replicas.push({ running, timers, logs });
      }
      // A fire claims, creates and starts its run over a few file writes: wait for every replica's decision.
      const decided = () => replicas.flatMap((r) => r.logs.filter((l) => l.includes("started (cron)") || l.includes("was claimed by another replica"))).length;
      // Both clocks pass 12:00, then 12:15: two fires, each seen by both replicas.
      for (const [fire, minutes] of [[1, 1], [2, 15]] as const) {
        for (const r of replicas) await r.timers.advance(minutes * 60_000);
        for (let waited = 0; decided() < 2 * fire && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
        for (const r of replicas) await r.running.idle();
      }
      const runs = (await readdir(join(shared, "runs"))).sort();
      expect(runs).toHaveLength(2);
      const skipped = replicas.flatMap((r) => r.logs.filter((l) => l.includes("was claimed by another replica")));
      expect(skipped.sort()).toEqual([
        "info audit local-blocks: the 2022-07-04T12:00:00.000Z run was claimed by another replica",
        "info audit local-blocks: the 2022-07-04T12:15:00.000Z run was claimed by another replica",
      ]);
      const claims = (await readdir(join(shared, "state/local-blocks/cron-claims"))).sort();
      expect(claims).toEqual(["2022-07-01T00:00:00.000Z.json", "2022-07-04T12:00:00.000Z.json", "2022-07-04T12:15:00.000Z.json"]);
    } finally {
      for (const r of replicas) await r.running.close();
      await rm(shared, { recursive: true, force: true });
    }
  });
});

describe("a report store that rejects conditional writes", () => {
  it("still runs each cron fire, with a warning", async () => {
    const shared = await mkdtemp(join(tmpdir(), "tracelint-noclaim-"));
    class NoConditionalWrites extends FsObjectStore {
      override async createIfAbsent(): Promise<boolean> {
        throw new Error("NotImplemented: If-None-Match is not supported");
      }
    }
    const config = parseDeploymentConfig({
      audits: [{ name: "local-blocks", cron: "*/15 * * * *", source: { kind: "blocks", bucket: pathToFileURL(V4).href, tenant: "single-tenant" } }],
    });
    const timers = fakeTimers(new Date("2022-07-04T11:59:30Z"));
    const logs: string[] = [];
    const running = await startServe({ config, store: new NoConditionalWrites(shared), env: { API_TOKEN: TOKEN }, host: "127.0.0.1", port: 0, timers, log: (level, message) => logs.push(`${level} ${message}`) });
    try {
      await timers.advance(60_000);
      for (let waited = 0; !logs.some((l) => l.includes("started (cron)")) && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      await running.idle();
      expect(logs).toContain("warn audit local-blocks: could not claim the 2022-07-04T12:00:00.000Z run (NotImplemented: If-None-Match is not supported); running it anyway");
      expect(await readdir(join(shared, "runs"))).toHaveLength(1);
    } finally {
      await running.close();
      await rm(shared, { recursive: true, force: true });
    }
  });
});

describe("tracelint serve CLI", () => {
  it("--help prints the usage; a bad config is a usage error naming the path", async () => {
    const help = await runCli(["serve", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: tracelint serve");
    const file = join(dir, "bad.json");
    await writeFile(file, JSON.stringify({ audits: [{ name: "x", cron: "0 6 * * 1", source: { kind: "tempo", url: "http://127.0.0.1:1" } }] }));
    const bad = await runCli(["serve", "--config", file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`tracelint: ${file}: audits.0.cron: day-of-week: use names (sun, mon, … sat), not "1"`);
    const missing = join(dir, "no-such-dir");
    await writeFile(file, JSON.stringify({ audits: [{ name: "local", source: { kind: "blocks", bucket: pathToFileURL(missing).href, tenant: "t" } }] }));
    const noDir = await runCli(["serve", "--config", file]);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain(`tracelint: audit local: bucket: no such directory: ${missing}`);
    // An archive partition format with a token the audit cannot expand would list nothing, ever.
    await writeFile(file, JSON.stringify({ audits: [{ name: "arch", source: { kind: "otlp-archive", bucket: "s3://archive", partitionFormat: "%Y/%j" } }] }));
    const format = await runCli(["serve", "--config", file]);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('audits.0.source.partitionFormat: partition format "%Y/%j": %j is not supported (only %Y %m %d %H %M and %%)');
    const unset = await runCli(["serve"], {});
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain("tracelint: TRACELINT_CONFIG is not set");
  });

  it("--reports: another URL scheme or a malformed bucket is a usage error at start-up, not a directory named after it or a crash", async () => {
    const file = join(dir, "ok.json");
    await writeFile(file, JSON.stringify({ audits: [{ name: "x", source: { kind: "tempo", url: "http://127.0.0.1:1" } }] }));
    for (const [reports, message] of [
      ["gs://bucket", '--reports: expected s3://BUCKET[/PREFIX] or a local directory, got "gs://bucket"'],
      ["S3://bucket/x", '--reports: expected s3://BUCKET[/PREFIX] or a local directory, got "S3://bucket/x"'],
      ["s3://", '--reports: expected s3://BUCKET[/PREFIX], got "s3://"'],
      ["s3://UPPER_bad", '--reports: not a valid bucket name: "UPPER_bad"'],
    ]) {
      const run = await runCli(["serve", "--config", file, "--reports", reports!, "--port", "0", "--no-scheduler"], { API_TOKEN: "t" });
      expect(run.code).toBe(2);
      expect(run.stderr.trim()).toBe(`tracelint: ${message}`);
    }
  });
});
