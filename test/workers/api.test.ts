// The HTTP API inside workerd: bearer auth on everything but /healthz, secure headers, the stable
// error shape, report retrieval by extension and Accept, starting an audit and reading its status.
import { createExecutionContext, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import worker from "../../functions/worker";
import type { Env } from "../../functions/platform";
import { API_TOKEN, deliver, latestRun, recordingQueue, runScheduled, tempoAudit, testEnv } from "./support";

async function call(e: Env, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`https://tracelint.example${path}`, init), e, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const auth = (token = API_TOKEN) => ({ headers: { Authorization: `Bearer ${token}` } });

describe("API auth", () => {
  const e = () => testEnv([tempoAudit("api-auth")]);

  it("/healthz needs no token (through the deployed module, SELF)", async () => {
    const res = await SELF.fetch("https://tracelint.example/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, service: "tracelint", version: "0.1.0" });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("without API_TOKEN configured every other route is closed (SELF has no secret)", async () => {
    const res = await SELF.fetch("https://tracelint.example/api/reports", auth());
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: "auth_not_configured", message: "the API token (secret API_TOKEN) is not configured; every API route is closed" } });
  });

  for (const path of ["/", "/api/reports", "/api/reports/20260302T100000Z-00000000.json", "/api/audits/20260302T100000Z-00000000", "/no-such-route"]) {
    it(`GET ${path} without a token is 401 with the error shape`, async () => {
      const res = await call(e(), path);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="tracelint"');
      expect(await res.json()).toEqual({ error: { code: "unauthorized", message: "missing bearer token (Authorization: Bearer <token>)" } });
    });
  }

  it("a wrong token (shorter, longer, off by one char) is 401 invalid_token", async () => {
    for (const token of [API_TOKEN.slice(0, -1), `${API_TOKEN}x`, `${API_TOKEN.slice(0, -1)}b`]) {
      const res = await call(e(), "/api/reports", auth(token));
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    }
  });

  it("POST /api/audits without a token starts nothing", async () => {
    const queue = recordingQueue();
    const res = await call(testEnv([tempoAudit("api-auth")], { AUDIT_QUEUE: queue as never }), "/api/audits", { method: "POST", body: JSON.stringify({ audit: "api-auth" }) });
    expect(res.status).toBe(401);
    expect(queue.sent).toEqual([]);
  });

  it("the right token is let through; unknown routes are then 404 with the error shape", async () => {
    expect((await call(e(), "/api/reports", auth())).status).toBe(200);
    const res = await call(e(), "/nope", auth());
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "not_found", message: "no such route" } });
  });
});

describe("wrong methods", () => {
  it("a known route asked with another method is 405 with Allow (the app serve shares), before auth", async () => {
    const e = testEnv([tempoAudit("api-methods")]);
    for (const [method, path, allow, init] of [
      ["GET", "/api/audits", "POST", auth()],
      ["POST", "/healthz", "GET, HEAD", {}],
      ["DELETE", "/api/reports/20260302T100000Z-00000000.json", "GET, HEAD", {}],
    ] as const) {
      const res = await call(e, path, { method, ...init });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe(allow);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
    }
  });
});

describe("API reports and audits", () => {
  it("lists reports and serves each format by extension and by Accept", async () => {
    const e = testEnv([tempoAudit("api-reports")], { AUDIT_QUEUE: undefined });
    await runScheduled(e, "*/30 * * * *");
    const run = await latestRun("api-reports");
    const list = (await (await call(e, "/api/reports?audit=api-reports", auth())).json()) as { reports: { runId: string; links: Record<string, string> }[] };
    expect(list.reports.map((r) => r.runId)).toEqual([run.runId]);
    expect(list.reports[0]!.links.html).toBe(`/api/reports/${run.runId}.html`);

    const json = await call(e, `/api/reports/${run.runId}.json`, auth());
    expect(json.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(((await json.json()) as { summary: { traces: number } }).summary.traces).toBe(42);
    const md = await call(e, `/api/reports/${run.runId}`, { headers: { ...auth().headers, Accept: "text/markdown" } });
    expect(md.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    expect(await md.text()).toMatch(/^# /);
    const html = await call(e, `/api/reports/${run.runId}`, { headers: { ...auth().headers, Accept: "text/html,*/*" } });
    expect(html.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(html.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await html.text()).toMatch(/^<!doctype html>/);

    const page = await call(e, "/", auth());
    const text = await page.text();
    expect(text).toContain(`/api/reports/${run.runId}.html`);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");

    const missing = await call(e, "/api/reports/20260302T100000Z-00000000.md", auth());
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: "not_found", message: "no such report" } });
  });

  it("POST /api/audits queues the run and returns its ID; the start message runs it; status follows", async () => {
    const queue = recordingQueue();
    const e = testEnv([tempoAudit("api-start")], { AUDIT_QUEUE: queue as never });
    const res = await call(e, "/api/audits", { method: "POST", headers: { ...auth().headers, "Content-Type": "application/json" }, body: JSON.stringify({ audit: "api-start", at: new Date(inject("nowMs")).toISOString() }) });
    expect(res.status).toBe(202);
    const started = (await res.json()) as { runId: string; state: string; status: string };
    expect(started).toMatchObject({ state: "queued", status: `/api/audits/${started.runId}` });
    expect(queue.sent).toEqual([{ v: 1, kind: "start", runId: started.runId }]);

    const queued = (await (await call(e, started.status, auth())).json()) as { state: string; trigger: string };
    expect(queued).toMatchObject({ state: "queued", trigger: "api" });
    await deliver(e, [queue.sent[0]!]);
    await deliver(e, [queue.sent[0]!]); // a re-delivered start does not start a second run
    const status = (await (await call(e, started.status, auth())).json()) as { state: string; mode: string; report: { traces: number } };
    expect(status).toMatchObject({ state: "done", mode: "inline", report: { traces: 42 } });
    expect(queue.sent).toHaveLength(1);
  });

  it("a start re-delivered after its consumer died planning runs the run again; a fanned-out run is left to its batches", async () => {
    const queue = recordingQueue();
    const e = testEnv([tempoAudit("api-restart")], { AUDIT_QUEUE: queue as never });
    const post = () => call(e, "/api/audits", { method: "POST", headers: { ...auth().headers, "Content-Type": "application/json" }, body: JSON.stringify({ audit: "api-restart", at: new Date(inject("nowMs")).toISOString() }) });
    const setRecord = async (runId: string, change: Record<string, unknown>) => {
      const key = `runs/${runId}/run.json`;
      const record = JSON.parse(new TextDecoder().decode(await (await e.REPORTS.get(key))!.arrayBuffer())) as Record<string, unknown>;
      await e.REPORTS.put(key, new TextEncoder().encode(JSON.stringify({ ...record, ...change })));
    };
    // The first consumer set the run to planning and was killed (CPU or wall-clock limit).
    const died = (await (await post()).json()) as { runId: string; status: string };
    await setRecord(died.runId, { state: "planning" });
    await deliver(e, [queue.sent[0]!]);
    expect(await (await call(e, died.status, auth())).json()).toMatchObject({ state: "done", mode: "inline", report: { traces: 42 } });

    // A run already fanned out is not planned again by a stray re-delivery.
    const fanned = (await (await post()).json()) as { runId: string; status: string };
    await setRecord(fanned.runId, { state: "running", mode: "fan-out" });
    await deliver(e, [queue.sent[1]!]);
    expect(await (await call(e, fanned.status, auth())).json()).toMatchObject({ state: "running", mode: "fan-out", report: null });
  });

  it("POST /api/audits answers unknown audits and bad bodies with the error shape", async () => {
    const e = testEnv([tempoAudit("api-start")]);
    const post = (body: string) => call(e, "/api/audits", { method: "POST", headers: auth().headers, body });
    const unknown = await post(JSON.stringify({ audit: "nope" }));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: "unknown_audit", message: 'no audit named "nope" (configured: api-start)' } });
    const bad = await post("{");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("bad_request");
    const future = await post(JSON.stringify({ audit: "api-start", at: "2999-01-01T00:00:00Z" }));
    expect(await future.json()).toEqual({ error: { code: "bad_request", message: '"at" is in the future' } });
    const ancient = await post(JSON.stringify({ audit: "api-start", at: "0001-01-01T00:00:00Z" }));
    expect(ancient.status).toBe(400);
    expect(await ancient.json()).toEqual({ error: { code: "bad_request", message: '"at" must be after 2000-01-01' } });
  });

  it('POST /api/audits refuses an "at" that is no real time (JavaScript would roll 02-30 over to March) with 400', async () => {
    const queue = recordingQueue();
    const e = testEnv([tempoAudit("api-dates")], { AUDIT_QUEUE: queue as never });
    const post = (at: string) => call(e, "/api/audits", { method: "POST", headers: auth().headers, body: JSON.stringify({ audit: "api-dates", at }) });
    const message = '"at" must be an ISO-8601 time like 2026-01-01T10:00:00Z (a real date and time, with Z or an offset)';
    for (const at of ["2026-02-30T10:00:00Z", "2025-02-29T10:00:00Z", "2026-04-31T10:00:00Z", "2026-13-01T10:00:00Z", "2026-03-01T24:00:00Z", "2026-03-01T10:60:00Z", "2026-03-01T10:00:61Z", "2026-03-01T10:00:00+24:00", "2026-03-01T10:00:00", "2026-03-01", "yesterday"]) {
      const res = await post(at);
      expect([at, res.status]).toEqual([at, 400]);
      expect(await res.json()).toEqual({ error: { code: "bad_request", message } });
    }
    expect(queue.sent).toEqual([]);
    // Real times, with Z, fractions or an offset, are accepted (2024 is a leap year).
    const leap = await post("2024-02-29T10:00:00.5+01:00");
    expect(leap.status).toBe(202);
    expect(await (await call(e, ((await leap.json()) as { status: string }).status, auth())).json()).toMatchObject({ scheduledTime: "2024-02-29T09:00:00.500Z" });
  });
});
