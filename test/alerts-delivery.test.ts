// Delivery against real HTTP receivers on 127.0.0.1: 429 with Retry-After (header and Discord's
// JSON retry_after), 5xx with backoff, 404/410 webhook gone, refused payloads, timeouts; and the
// outbox: an alert that failed is delivered by the next run, exactly once.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AlertsConfigSchema, deliver, MemoryAlertStateStore, ObjectStoreAlertStateStore, runAlerts } from "../src/alerts/index";
import type { AlertsConfig } from "../src/alerts/config";
import { FileAlertStateStore } from "../src/cli/alert-state-file";
import { ObjectNotFoundError, type ObjectStore } from "../src/storage/object-store";
import type { Report } from "../src/report/schema";
import { estateReport } from "./support/report-estate";
import { discordRateLimited, gone, ok, serverError, tooManyRequests, WebhookReceiver, type Reply } from "./support/webhook-receiver";

const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

async function receiver(script: Reply[] | ((i: number) => Reply), fallback: Reply = ok()): Promise<{ r: WebhookReceiver; url: string }> {
  const r = typeof script === "function" ? new WebhookReceiver((_q, i) => script(i)) : WebhookReceiver.scripted(script, fallback);
  receivers.push(r);
  return { r, url: `${await r.start()}/hook` };
}

const request = (url: string) => ({ url, body: '{"text":"hi"}', headers: { "content-type": "application/json" } });
const gaps = (r: WebhookReceiver) => r.requests.slice(1).map((q, i) => q.at - r.requests[i]!.at);

describe("deliver", () => {
  it("waits what a 429's Retry-After asks, then delivers", async () => {
    const { r, url } = await receiver([tooManyRequests(1)]);
    const result = await deliver(request(url), { baseDelayMs: 10 });
    expect(result).toEqual({ outcome: "delivered", status: 200, attempts: 2 });
    expect(gaps(r)[0]).toBeGreaterThanOrEqual(950);
  });

  it("honours Discord's JSON retry_after (seconds, fractional) when there is no header", async () => {
    const { r, url } = await receiver([discordRateLimited(0.3)]);
    const result = await deliver(request(url), { baseDelayMs: 10 });
    expect(result.outcome).toBe("delivered");
    expect(gaps(r)[0]).toBeGreaterThanOrEqual(280);
  });

  it("retries 5xx with exponential backoff", async () => {
    const { r, url } = await receiver([serverError(), serverError()]);
    const result = await deliver(request(url), { baseDelayMs: 60 });
    expect(result).toEqual({ outcome: "delivered", status: 200, attempts: 3 });
    const [first, second] = gaps(r);
    expect(first).toBeGreaterThanOrEqual(55);
    expect(second).toBeGreaterThanOrEqual(115);
  });

  it.each([404, 410] as const)("stops at once on %i (webhook gone)", async (status) => {
    const { r, url } = await receiver([gone(status)]);
    const result = await deliver(request(url), { baseDelayMs: 10 });
    expect(result.outcome).toBe("gone");
    expect(result).toMatchObject({ status, attempts: 1 });
    expect((result as { error: string }).error).toMatch(/no longer exists/);
    expect(r.requests).toHaveLength(1);
  });

  it("does not retry a refused payload (400)", async () => {
    const { r, url } = await receiver([{ status: 400, body: "invalid_blocks" }]);
    const result = await deliver(request(url), { baseDelayMs: 10 });
    expect(result).toEqual({ outcome: "rejected", status: 400, attempts: 1, error: "HTTP 400: invalid_blocks" });
    expect(r.requests).toHaveLength(1);
  });

  it("times out a receiver that never answers, per attempt", async () => {
    const { r, url } = await receiver(() => ({ hang: true }));
    const result = await deliver(request(url), { timeoutMs: 200, maxAttempts: 2, baseDelayMs: 10 });
    expect(result).toEqual({ outcome: "failed", status: null, attempts: 2, error: "no answer within 200 ms" });
    expect(r.requests).toHaveLength(2);
  });

  it("gives up for this run when Retry-After is longer than it will wait", async () => {
    const { r, url } = await receiver([tooManyRequests(3600)]);
    const result = await deliver(request(url), { baseDelayMs: 10 });
    expect(result.outcome).toBe("failed");
    expect((result as { error: string }).error).toMatch(/asked to wait 3600 s; kept for the next run/);
    expect(r.requests).toHaveLength(1);
  });
});

function slackConfig(url: string, policy: Record<string, unknown> = {}): AlertsConfig {
  return AlertsConfigSchema.parse({ destinations: [{ name: "ops", type: "slack", url, policy }] });
}

const fast = { baseDelayMs: 5, maxAttempts: 2, timeoutMs: 2000 };
const at = (iso: string) => () => new Date(iso);

describe("outbox and policy across runs", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("keeps an alert through an outage and delivers it, exactly once, on the next run", async () => {
    dir = await mkdtemp(join(tmpdir(), "tracelint-alerts-"));
    const store = new FileAlertStateStore(join(dir, "state.json"));
    let outage = true;
    const { r, url } = await receiver(() => (outage ? serverError() : ok()));
    const report = await estateReport({ fraudBroken: true, cardinality: false, pii: false, hostile: false });
    const logs: string[] = [];
    const log = (level: string, m: string) => logs.push(`${level} ${m}`);

    const first = await runAlerts({ config: slackConfig(url), store, report, delivery: fast, minIntervalMs: 0, now: at("2026-03-01T10:00:00Z"), log });
    expect(first.queued).toHaveLength(1);
    expect(first.delivered).toEqual([]);
    expect(first.pending).toBe(1);
    expect(r.requests).toHaveLength(2);
    expect(logs.at(-1)).toMatch(/^warn alerts: ops: delivery failed after 2 attempt\(s\): HTTP 500: internal error; alert \w+ kept for the next run$/);
    expect((await store.load()).pending[0]!.attempts).toBe(2);

    outage = false;
    const next = await estateReport({ fraudBroken: true, cardinality: false, pii: false, hostile: false }, new Date("2026-03-01T11:00:00Z"));
    const second = await runAlerts({ config: slackConfig(url), store, report: next, delivery: fast, minIntervalMs: 0, now: at("2026-03-01T11:00:00Z"), log });
    expect(second.queued).toEqual([]); // same findings, nothing new
    expect(second.delivered).toEqual([first.queued[0]!.id]);
    expect(second.pending).toBe(0);
    expect(r.requests).toHaveLength(3);
    expect(r.requests[2]!.body).toBe(r.requests[0]!.body);

    // The same run processed again (a retried cron) and a third quiet run send nothing.
    await runAlerts({ config: slackConfig(url), store, report, delivery: fast, minIntervalMs: 0, now: at("2026-03-01T11:30:00Z") });
    await runAlerts({ config: slackConfig(url), store, report: next, delivery: fast, minIntervalMs: 0, now: at("2026-03-01T12:00:00Z") });
    expect(r.requests).toHaveLength(3);
  });

  it("stops on a gone webhook with a clear error and keeps the alert for when the URL is fixed", async () => {
    const store = new MemoryAlertStateStore();
    const { r, url } = await receiver(() => gone(404));
    const logs: string[] = [];
    const report = await estateReport({ fraudBroken: true, cardinality: false, pii: false, hostile: false });
    const result = await runAlerts({ config: slackConfig(url), store, report, delivery: fast, minIntervalMs: 0, log: (l, m) => logs.push(`${l} ${m}`) });
    expect(r.requests).toHaveLength(1);
    expect(result.pending).toBe(1);
    expect(logs).toEqual([expect.stringMatching(/^error alerts: ops: webhook unusable \(HTTP 404: .*the webhook no longer exists.*\); stopped sending to it\. Fix its URL; 1 alert\(s\) stay in the outbox until then$/)]);

    const fixed = await receiver([]);
    const retry = await runAlerts({ config: slackConfig(fixed.url), store, delivery: fast, minIntervalMs: 0 });
    expect(retry.delivered).toEqual([result.queued[0]!.id]);
    expect(fixed.r.requests).toHaveLength(1);
  });

  it("sends only new or worsened findings, coverage drops past the threshold, and respects the quiet period", async () => {
    const store = new MemoryAlertStateStore();
    const { r, url } = await receiver([]);
    const config = slackConfig(url, { minSeverity: "error", coverageDropPoints: 50, quietPeriodMinutes: 60 });
    // Each run is a distinct report (its own generatedAt), as a scheduler produces them.
    const run = (report: Report, now: string) => runAlerts({ config, store, report: { ...report, generatedAt: now }, delivery: fast, minIntervalMs: 0, now: at(now) });

    const healthy = await estateReport({ fraudBroken: false, cardinality: true, pii: false, hostile: false });
    const first = await run(healthy, "2026-03-01T10:00:00Z");
    expect(first.queued).toEqual([]); // only a warning (cardinality) and minSeverity is error

    const broken = await estateReport({ fraudBroken: true, cardinality: true, pii: false, hostile: false });
    const second = await run(broken, "2026-03-01T11:00:00Z");
    expect(second.queued).toHaveLength(1);
    expect(second.queued[0]!.items.map((i) => [i.change, i.ruleId, i.subject])).toEqual([
      ["new", "propagation-gap", "orders→fraud"],
      ["coverage-drop", "propagation-gap", "orders→fraud"],
    ]);
    expect(second.queued[0]!.items[1]!.text).toBe("propagation coverage orders→fraud fell from 100 % to 0 % (-100 points)");

    // Healthy again, then broken again 30 min later: "new" again, but inside the quiet period.
    await run(healthy, "2026-03-01T11:10:00Z");
    const third = await run(broken, "2026-03-01T11:30:00Z");
    expect(third.queued).toEqual([]);
    // After the quiet period the same regression is reported again.
    await run(healthy, "2026-03-01T12:10:00Z");
    const fourth = await run(broken, "2026-03-01T12:30:00Z");
    expect(fourth.queued[0]!.items).toHaveLength(2);
    expect(r.requests).toHaveLength(2);
  });

  it("a back-dated run (a backfill) does not become the next scheduled run's baseline (QA, session 6)", async () => {
    const store = new MemoryAlertStateStore();
    const { r, url } = await receiver([]);
    const config = slackConfig(url, { minSeverity: "error" });
    const run = (report: Report, dataUntil: string, now: string) => runAlerts({ config, store, report: { ...report, generatedAt: dataUntil }, delivery: fast, minIntervalMs: 0, now: at(now) });
    const healthy = await estateReport({ fraudBroken: false, cardinality: false, pii: false, hostile: false });
    const broken = await estateReport({ fraudBroken: true, cardinality: false, pii: false, hostile: false });

    expect((await run(broken, "2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z")).queued).toHaveLength(1);
    // A backfill of the 08:00 window, when the estate was still healthy.
    await run(healthy, "2026-03-01T08:00:00Z", "2026-03-01T10:30:00Z");
    expect((await store.load()).previousUntil).toBe("2026-03-01T10:00:00Z");
    // The 11:00 run is as broken as the 10:00 one: nothing new (against the backfill it looked new).
    const next = await run(broken, "2026-03-01T11:00:00Z", "2026-03-01T11:00:00Z");
    expect(next.delta!.findings.new).toEqual([]);
    expect(next.queued).toEqual([]);
    expect(r.requests).toHaveLength(1);
  });

  it("filters by rule and service", async () => {
    const store = new MemoryAlertStateStore();
    const { url } = await receiver([]);
    const report = await estateReport({ fraudBroken: true, cardinality: true, pii: true, hostile: false });
    const result = await runAlerts({
      config: slackConfig(url, { minSeverity: "info", rules: ["pii-in-attributes", "high-cardinality-span-name"], excludeServices: ["orders"] }),
      store, report, delivery: fast, minIntervalMs: 0,
    });
    expect(result.queued[0]!.items.map((i) => `${i.ruleId} ${i.service} ${i.subject}`).sort()).toEqual([
      "pii-in-attributes payments card.number",
      "pii-in-attributes payments customer.email",
    ]);
  });

  it("alerts once when the audit failed, then stays quiet while it keeps failing", async () => {
    const store = new MemoryAlertStateStore();
    const { r, url } = await receiver([]);
    const failure = "cannot reach Tempo at http://tempo:3200/: connect ECONNREFUSED 10.0.0.7:3200";
    const first = await runAlerts({ config: slackConfig(url), store, failure, delivery: fast, minIntervalMs: 0, now: at("2026-03-01T10:00:00Z") });
    expect(first.queued.map((a) => [a.kind, a.severity, a.title])).toEqual([["audit-failed", "error", "tracelint: audit failed"]]);
    // The reason is quoted, with the IP address masked like any other trace-derived text.
    // The URL in it is not a link in chat (a word joiner after the scheme).
    expect(first.queued[0]!.summary).toBe("The audit could not run: cannot reach Tempo at http\u2060://tempo:3200/: connect ECONNREFUSED 10.x.x.x:3200. No findings were evaluated.");
    const again = await runAlerts({ config: slackConfig(url), store, failure, delivery: fast, minIntervalMs: 0, now: at("2026-03-01T10:15:00Z") });
    expect(again.queued).toEqual([]);
    expect(r.requests).toHaveLength(1);
  });

  it("alerts again on a failure after a run that worked (the quiet period of audit-health alerts ends)", async () => {
    const store = new MemoryAlertStateStore();
    const { r, url } = await receiver([]);
    const failure = "Tempo refused the request (HTTP 401)";
    const report = await estateReport({ fraudBroken: false, cardinality: false, pii: false, hostile: false });
    await runAlerts({ config: slackConfig(url), store, failure, delivery: fast, minIntervalMs: 0, now: at("2026-03-01T10:00:00Z") });
    await runAlerts({ config: slackConfig(url), store, report: { ...report, generatedAt: "2026-03-01T10:15:00Z" }, delivery: fast, minIntervalMs: 0, now: at("2026-03-01T10:15:00Z") });
    const again = await runAlerts({ config: slackConfig(url), store, failure, delivery: fast, minIntervalMs: 0, now: at("2026-03-01T10:30:00Z") });
    expect(again.queued.map((a) => a.kind)).toEqual(["audit-failed"]);
    expect(r.requests).toHaveLength(2);
  });

  it.each([[401], [403], [301]] as const)("keeps the alert and stops the destination on %i (revoked credentials, moved URL): nothing is dropped", async (status) => {
    const store = new MemoryAlertStateStore();
    const { r, url } = await receiver(() => (status === 301 ? { status, headers: { location: "https://elsewhere.example/" }, body: "" } : { status, body: "invalid_token" }));
    const report = await estateReport({ fraudBroken: true, cardinality: false, pii: false, hostile: false });
    const result = await runAlerts({ config: slackConfig(url), store, report, delivery: fast, minIntervalMs: 0 });
    expect(r.requests).toHaveLength(1);
    expect(result.pending).toBe(1);
    expect((await store.load()).dropped).toEqual([]);
  });

  it("never uses or quotes a webhook URL that is not an http(s) URL, and still delivers to the other destinations", async () => {
    const store = new MemoryAlertStateStore();
    const { r, url } = await receiver([]);
    const logs: string[] = [];
    const config = AlertsConfigSchema.parse({
      destinations: [
        { name: "chat", type: "discord", urlEnv: "DISCORD_URL" },
        { name: "ops", type: "slack", url },
      ],
    });
    const report = await estateReport({ fraudBroken: true, cardinality: false, pii: false, hostile: false });
    const env = { DISCORD_URL: "discord.com/api/webhooks/123/SeCrEtDiScOrDtOkEn" };
    const result = await runAlerts({ config, store, report, env, delivery: fast, minIntervalMs: 0, log: (l, m) => logs.push(`${l} ${m}`) });
    expect(r.requests).toHaveLength(1); // ops still got its alert
    expect(result.pending).toBe(1); // chat's is kept for when the URL is fixed
    expect(logs[0]).toBe("error alerts: chat: DISCORD_URL is not an http(s) URL; alerts kept in the outbox");
    expect(JSON.stringify([logs, await store.load()])).not.toContain("SeCrEt");
  });

  it("applies rule and service filters to coverage drops, and lets a worsened finding through the quiet period", async () => {
    const store = new MemoryAlertStateStore();
    const { url } = await receiver([]);
    const healthy = await estateReport({ fraudBroken: false, cardinality: false, pii: true, hostile: false });
    const broken = await estateReport({ fraudBroken: true, cardinality: false, pii: true, hostile: false });
    const config = slackConfig(url, { minSeverity: "error", excludeRules: ["propagation-gap"], coverageDropPoints: 10 });
    const run = (report: Report, now: string) => runAlerts({ config, store, report: { ...report, generatedAt: now }, delivery: fast, minIntervalMs: 0, now: at(now) });
    await run(healthy, "2026-03-01T10:00:00Z");
    const dropped = await run(broken, "2026-03-01T11:00:00Z");
    expect(dropped.queued.flatMap((a) => a.items).filter((i) => i.ruleId === "propagation-gap")).toEqual([]);

    // A PII finding alerted at 10:00 grows tenfold at 11:30: worsened, sent despite the 24 h quiet period.
    const pii = healthy.findings.find((f) => f.ruleId === "pii-in-attributes")!;
    const worse = { ...healthy, findings: healthy.findings.map((f) => (f === pii ? { ...f, occurrences: f.occurrences * 10 } : f)) };
    const worsened = await run(worse, "2026-03-01T11:30:00Z");
    expect(worsened.queued.flatMap((a) => a.items).map((i) => [i.change, i.ruleId, i.subject])).toEqual([["worsened", "pii-in-attributes", pii.subject]]);
  });

  it("with notifyResolved, says when a finding it alerted about is gone; one that comes back is new again", async () => {
    const store = new MemoryAlertStateStore();
    const { r, url } = await receiver([]);
    const config = slackConfig(url, { minSeverity: "error", coverageDropPoints: null, notifyResolved: true });
    const run = (report: Report, now: string) => runAlerts({ config, store, report: { ...report, generatedAt: now }, delivery: fast, minIntervalMs: 0, now: at(now) });
    const healthy = await estateReport({ fraudBroken: false, cardinality: false, pii: false, hostile: false });
    const broken = await estateReport({ fraudBroken: true, cardinality: false, pii: false, hostile: false });
    await run(healthy, "2026-03-01T10:00:00Z");
    const opened = await run(broken, "2026-03-01T10:10:00Z");
    expect(opened.queued[0]!.items.map((i) => [i.change, i.ruleId])).toEqual([["new", "propagation-gap"]]);
    const fixed = await run(healthy, "2026-03-01T10:20:00Z");
    expect(fixed.queued.map((a) => a.title)).toEqual(["tracelint: 1 trace-quality issue(s) resolved"]);
    expect(fixed.queued[0]!.items.map((i) => [i.change, i.severity, i.text])).toEqual([
      ["resolved", "info", "propagation-gap in orders (orders→fraud): gone in this run (was 12 occurrence(s))"],
    ]);
    // Broken again within the 24 h quiet period: alerted as new, since it was resolved meanwhile.
    const reopened = await run(broken, "2026-03-01T10:30:00Z");
    expect(reopened.queued[0]!.items.map((i) => i.change)).toEqual(["new"]);
    expect(r.requests).toHaveLength(3);
  });

  it("logs how many items fit the chat message when not all did", async () => {
    const store = new MemoryAlertStateStore();
    const { url } = await receiver([]);
    const logs: string[] = [];
    const report = await estateReport({ fraudBroken: true, cardinality: false, pii: false, hostile: false });
    const base = report.findings.find((f) => f.ruleId === "propagation-gap")!;
    // 400 distinct findings: more lines than Slack's 12 000 characters of blocks can take.
    const many = { ...report, findings: Array.from({ length: 400 }, (_, i) => ({ ...base, subject: `orders→svc-${i}`, message: `${base.message} ${"x".repeat(60)}` })) };
    await runAlerts({ config: slackConfig(url, { minSeverity: "error", coverageDropPoints: null }), store, report: many, delivery: fast, minIntervalMs: 0, log: (l, m) => logs.push(m) });
    expect(logs).toEqual([expect.stringMatching(/^alerts: ops: delivered findings alert [0-9a-f]{16} \((\d+) of 400 item\(s\) shown, 1 attempt\(s\)\)$/)]);
  });

  it("moves a refused alert to the dropped list instead of retrying it forever", async () => {
    const store = new MemoryAlertStateStore();
    const { url } = await receiver([{ status: 400, body: "invalid_payload" }]);
    const report = await estateReport({ fraudBroken: true, cardinality: false, pii: false, hostile: false });
    const result = await runAlerts({ config: slackConfig(url), store, report, delivery: fast, minIntervalMs: 0 });
    const state = await store.load();
    expect(result.pending).toBe(0);
    expect(state.dropped.map((d) => d.reason)).toEqual(["HTTP 400: invalid_payload"]);
  });

  it("keeps state in an object store (R2/S3) for the Worker", async () => {
    const objects = new Map<string, Uint8Array>();
    const bucket: ObjectStore = {
      description: "memory://bucket",
      async *list() {},
      async get(key) {
        const body = objects.get(key);
        if (!body) throw new ObjectNotFoundError(key);
        return { body, size: body.length };
      },
      async getRange() {
        throw new Error("unused");
      },
      async put(key, body) {
        objects.set(key, body);
      },
    };
    const { url } = await receiver(() => serverError());
    const report = await estateReport({ fraudBroken: true, cardinality: false, pii: false, hostile: false });
    await runAlerts({ config: slackConfig(url), store: new ObjectStoreAlertStateStore(bucket), report, delivery: fast, minIntervalMs: 0 });
    const reloaded = await new ObjectStoreAlertStateStore(bucket).load();
    expect(reloaded.pending).toHaveLength(1);
    expect(Object.keys(reloaded.previous!.findings)).toHaveLength(2);
  });
});
