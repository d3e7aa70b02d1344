// `tracelint serve` as a service: one run per audit at a time (API triggers and cron fires, on one
// replica and across replicas sharing the report store), a report store checked at start-up and
// reported clearly when it fails later, and a port in use as one line. Real HTTP on 127.0.0.1:
// the Tempo-compatible server with the demo estate, replicas of `serve` on one directory.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDemoSpans } from "../scripts/demo";
import { FsObjectStore } from "../src/cli/fs-object-store";
import { startServe, type RunningServer } from "../src/cli/serve";
import { fakeTimers } from "./support/fake-timers";
import { AuditRunSlots } from "../src/cli/store-lease";
import { startTempoServer, type RunningTempoServer } from "../src/cli/tempo-server";
import { parseDeploymentConfig, type DeploymentConfig } from "../src/config/deployment";
import { runningKey } from "../src/runs/keys";
import type { PutOptions } from "../src/storage/object-store";
import { deltaToEndAt, shiftSpans } from "../src/tempo-server/index";
import { runCli } from "./support/cli";

const NOW = new Date("2026-03-02T10:00:00Z");
const TOKEN = "run-cap-token";
const auth = { Authorization: `Bearer ${TOKEN}` };
let tempo: RunningTempoServer;
let config: DeploymentConfig;
const dirs: string[] = [];

async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `tracelint-${name}-`));
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  const recorded = await loadDemoSpans();
  tempo = await startTempoServer({ spans: shiftSpans(recorded, deltaToEndAt(recorded, BigInt(NOW.getTime() - 10 * 60_000) * 1_000_000n)), now: () => NOW.getTime() });
  const source = { kind: "tempo", url: tempo.url, since: "1h", perService: 20, traces: 50 };
  config = parseDeploymentConfig({ audits: [{ name: "estate", cron: "*/15 * * * *", source }, { name: "other", source }] });
});

afterAll(async () => {
  await tempo?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Keeps the next run going for at least `ms`: its first search answers that late. */
function slowSearches(ms: number): void {
  tempo.setFaults([{ fault: { type: "latency", ms }, routes: ["search"], times: 1 }]);
}

async function post(server: RunningServer, audit: string): Promise<{ status: number; body: Record<string, unknown> & { error?: Record<string, string> } }> {
  const res = await fetch(`${server.url}/api/audits`, { method: "POST", headers: auth, body: JSON.stringify({ audit, at: NOW.toISOString() }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("one run per audit at a time", () => {
  it("five simultaneous POSTs start one run; the others get 409 audit_running with its ID; another audit and a later POST run", async () => {
    const dir = await tempDir("cap");
    const server = await startServe({ config, store: new FsObjectStore(dir), env: { API_TOKEN: TOKEN }, host: "127.0.0.1", port: 0, scheduler: false, log: () => {} });
    slowSearches(1_000);
    try {
      const answers = await Promise.all(Array.from({ length: 5 }, () => post(server, "estate")));
      const started = answers.filter((a) => a.status === 202);
      expect(started).toHaveLength(1);
      const runId = started[0]!.body.runId as string;
      const refused = answers.filter((a) => a.status === 409);
      expect(refused).toHaveLength(4);
      for (const r of refused) {
        expect(r.body).toEqual({
          error: {
            code: "audit_running",
            message: `audit estate is already running: run ${runId} (follow it at /api/audits/${runId}); start another once it has finished`,
            runId,
            status: `/api/audits/${runId}`,
          },
        });
      }
      // The cap is per audit.
      expect((await post(server, "other")).status).toBe(202);
      expect(existsSync(join(dir, runningKey("estate")))).toBe(true);
      await server.idle();
      expect(await readdir(join(dir, "runs"))).toHaveLength(2);
      expect(existsSync(join(dir, runningKey("estate")))).toBe(false); // released when the run ended
      tempo.setFaults([]);
      const again = await post(server, "estate");
      expect(again.status).toBe(202);
      await server.idle();
    } finally {
      tempo.setFaults([]);
      await server.close();
    }
  }, 60_000);

  it("across replicas on one store: a POST to another replica gets 409, and a cron fire there is skipped while the run goes on", async () => {
    const dir = await tempDir("cap-replicas");
    const logs: string[] = [];
    const a = await startServe({ config, store: new FsObjectStore(dir), env: { API_TOKEN: TOKEN }, host: "127.0.0.1", port: 0, scheduler: false, log: () => {} });
    // Replica b's clock: just before the 10:15 fire of the estate's */15 cron.
    const timers = fakeTimers(new Date("2026-03-02T10:14:30Z"));
    const b = await startServe({ config, store: new FsObjectStore(dir), env: { API_TOKEN: TOKEN }, host: "127.0.0.1", port: 0, timers, log: (level, message) => logs.push(`${level} ${message}`) });
    slowSearches(1_500);
    try {
      const first = await post(a, "estate");
      expect(first.status).toBe(202);
      const runId = first.body.runId as string;
      const other = await post(b, "estate");
      expect(other.status).toBe(409);
      expect(other.body.error).toMatchObject({ code: "audit_running", runId });
      await timers.advance(60_000);
      const skipped = `warn audit estate: skipped the 2026-03-02T10:15:00.000Z run, run ${runId} is still running`;
      for (let waited = 0; !logs.includes(skipped) && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      expect(logs).toContain(skipped);
      await a.idle();
      await b.idle();
      expect(await readdir(join(dir, "runs"))).toEqual([runId]);
    } finally {
      tempo.setFaults([]);
      await a.close();
      await b.close();
    }
  }, 60_000);

  it("a lease left behind by a replica that died (expired), or by a run recorded as finished, does not block the audit", async () => {
    const dir = await tempDir("cap-stale");
    const store = new FsObjectStore(dir);
    const logs: string[] = [];
    const finished = new Set(["20260302T090000Z-0000000f"]);
    const slots = new AuditRunSlots(store, (_level, message) => logs.push(message), { isFinished: async (runId) => finished.has(runId) });
    const lease = (runId: string, until: number) => new TextEncoder().encode(JSON.stringify({ token: "dead", runId, until }));
    await store.put(runningKey("estate"), lease("20260302T080000Z-0000000e", Date.now() - 1_000));
    const expired = await slots.acquire("estate", "20260302T100000Z-00000001");
    expect(expired.acquired).toBe(true);
    expect(logs).toEqual(["audit estate: removing the stale state/estate/running.json of run 20260302T080000Z-0000000e (its replica stopped renewing it)"]);
    if (expired.acquired) await expired.release();
    expect(existsSync(join(dir, runningKey("estate")))).toBe(false);
    await store.put(runningKey("estate"), lease("20260302T090000Z-0000000f", Date.now() + 60_000));
    const done = await slots.acquire("estate", "20260302T100000Z-00000002");
    expect(done.acquired).toBe(true);
    if (done.acquired) await done.release();
    // A live lease of a run still going on: refused, with that run's ID.
    await store.put(runningKey("estate"), lease("20260302T095900Z-00000003", Date.now() + 60_000));
    expect(await slots.acquire("estate", "20260302T100000Z-00000004")).toEqual({ acquired: false, runId: "20260302T095900Z-00000003" });
  });
});

describe("the report store", () => {
  let okConfig: string;
  beforeAll(async () => {
    okConfig = join(await tempDir("store-config"), "deployment.json");
    await writeFile(okConfig, JSON.stringify({ audits: [{ name: "x", source: { kind: "tempo", url: tempo.url } }] }));
  });

  it("serve --reports on a location that cannot be written exits 2 at start-up with one line, before /healthz says ok", async () => {
    const run = await Promise.race([
      runCli(["serve", "--config", okConfig, "--reports", "/proc/nope", "--host", "127.0.0.1", "--port", "0", "--no-scheduler"], { API_TOKEN: "t" }),
      new Promise<"still serving">((resolve) => setTimeout(() => resolve("still serving"), 10_000)),
    ]);
    expect(run).not.toBe("still serving");
    if (run === "still serving") return;
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(
      /^tracelint: --reports \/proc\/nope: the report store cannot write a test object \(state\/write-probe-[0-9a-f-]{36}\.json\): ENOENT: no such file or directory, mkdir '\/proc\/nope'$/,
    );
  }, 20_000);

  it("a store that starts failing later: POST /api/audits is 503 store_unavailable with the store's reason, not a bare internal", async () => {
    const dir = await tempDir("store-fails");
    class ReadOnlyLater extends FsObjectStore {
      readOnly = false;
      override async put(key: string, body: Uint8Array, options?: PutOptions): Promise<void> {
        if (this.readOnly) throw Object.assign(new Error(`EROFS: read-only file system, open '${join(this.root, key)}'`), { code: "EROFS" });
        return super.put(key, body, options);
      }
      override async createIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
        if (this.readOnly) throw Object.assign(new Error("EROFS: read-only file system"), { code: "EROFS" });
        return super.createIfAbsent(key, body, options);
      }
    }
    const store = new ReadOnlyLater(dir);
    const logs: string[] = [];
    const server = await startServe({ config, store, env: { API_TOKEN: TOKEN }, host: "127.0.0.1", port: 0, scheduler: false, log: (level, message) => logs.push(`${level} ${message}`) });
    try {
      store.readOnly = true;
      const res = await post(server, "estate");
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: { code: "store_unavailable", message: expect.stringMatching(/^cannot record the run in the report store: EROFS: read-only file system, open '.+\/runs\/.+\/run\.json'$/) } });
      expect(logs.some((l) => l.startsWith(`error audit estate: cannot record a new run in the report store file://${dir}: EROFS`))).toBe(true);
      // Writable again: the audit was not left marked as running.
      store.readOnly = false;
      expect((await post(server, "estate")).status).toBe(202);
      await server.idle();
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe("the listen address", () => {
  let busy: Server;
  beforeAll(async () => {
    busy = createServer((_req, res) => res.end("taken"));
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => busy.close(resolve));
  });

  it("a port already in use is one line and exit 2, not a stack trace", async () => {
    const port = (busy.address() as { port: number }).port;
    const dir = await tempDir("busy-port");
    const file = join(dir, "deployment.json");
    await writeFile(file, JSON.stringify({ audits: [{ name: "x", source: { kind: "tempo", url: tempo.url } }] }));
    const run = await runCli(["serve", "--config", file, "--reports", join(dir, "data"), "--host", "127.0.0.1", "--port", String(port), "--no-scheduler"], { API_TOKEN: "t" });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(`tracelint: cannot listen on 127.0.0.1:${port}: the port is already in use (another process listens on it; choose one with --port or $PORT)`);
  });
});
