// Two runs of one audit alerting at once (a cron run and an API run; Worker or `tracelint serve`)
// share one alert state. With the run ledger's lock every change to it is a load → change → save
// under the lock, and each alert is claimed (in flight, with a lease) before it is sent — the lock
// itself is a 30-second lease and deliveries can take minutes —, so no alert is sent twice and
// neither run loses what the other queued. A real HTTP receiver on 127.0.0.1 that answers slowly.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AlertsConfigSchema, MemoryAlertStateStore, runAlerts, type AlertRunInput } from "../src/alerts/index";
import { MemoryRunCounter } from "../src/runs/ledger";
import { estateReport } from "./support/report-estate";

interface Received {
  body: string;
  at: number;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A Slack-like receiver that answers 200 "ok" after `delayMs`. */
async function slowReceiver(delayMs: number): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      received.push({ body, at: Date.now() });
      setTimeout(() => res.writeHead(200).end("ok"), delayMs);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

const fast = { baseDelayMs: 5, maxAttempts: 2, timeoutMs: 5_000 };

function setup(url: string) {
  const config = AlertsConfigSchema.parse({ destinations: [{ name: "ops", type: "slack", url }] });
  const store = new MemoryAlertStateStore();
  const counter = new MemoryRunCounter();
  const lock = <T>(work: () => Promise<T>) => counter.withLock("alerts:estate", work);
  const base = { config, store, delivery: fast, minIntervalMs: 0, lock } satisfies Partial<AlertRunInput>;
  return { store, base };
}

describe("alerts of two runs of one audit at once", () => {
  it("the second run does not deliver the first run's alert while the first is still sending it", async () => {
    const { url, received } = await slowReceiver(500);
    const { store, base } = setup(url);
    const first = runAlerts({ ...base, failure: "Tempo: search failed (HTTP 400)", now: () => new Date("2026-03-02T10:00:00Z") });
    await until(() => received.length === 1); // the first run is sending
    const logs: string[] = [];
    const second = await runAlerts({ ...base, failure: "Tempo: search failed (HTTP 400)", now: () => new Date("2026-03-02T10:01:00Z"), log: (l, m) => void logs.push(`${l} ${m}`) });
    expect(second).toMatchObject({ queued: [], delivered: [], failed: [] }); // audit-failed is in its quiet period
    expect(logs).toEqual([expect.stringMatching(/^info alerts: ops: alert \w+ is being sent by another run; this run leaves ops's alerts to it$/)]);
    const done = await first;
    expect(done.delivered).toEqual([done.queued[0]!.id]);
    expect(received).toHaveLength(1);
    const state = await store.load();
    expect(state.pending).toEqual([]);
    expect(Object.keys(state.delivered)).toEqual([done.queued[0]!.id]);
  });

  it("an alert the second run queues meanwhile is delivered once, after the first run's, and nothing either queued is lost", async () => {
    const { url, received } = await slowReceiver(300);
    const { store, base } = setup(url);
    const report = await estateReport({ fraudBroken: true, cardinality: false, pii: false, hostile: false });
    const first = runAlerts({ ...base, failure: "Tempo: unreachable", now: () => new Date("2026-03-02T10:00:00Z") });
    await until(() => received.length === 1);
    const second = await runAlerts({ ...base, report, now: () => new Date("2026-03-02T10:00:30Z") });
    expect(second.queued).toHaveLength(1); // the findings alert: ops is busy, so it waits for the first run
    expect(second.delivered).toEqual([]);
    const done = await first;
    // The first run, done with its own alert, sends what the second queued: in order, each once.
    expect(done.delivered).toEqual([done.queued[0]!.id, second.queued[0]!.id]);
    expect(received.map((r) => (JSON.parse(r.body) as { text: string }).text)).toEqual([expect.stringMatching(/audit failed/), expect.stringMatching(/trace-quality issue/)]);
    const state = await store.load();
    expect(state.pending).toEqual([]);
    expect(state.previous).toBeDefined(); // the second run's baseline survived the first run's saves
    // The second run's quiet-period bookkeeping survived too (its good run ended audit-failed's).
    expect(Object.keys(state.lastSent.ops!).sort()).toEqual(second.queued[0]!.items.map((i) => i.fingerprint).sort());
  });

  it("a claim whose run died expires: a later run sends the alert (and an unexpired claim is left alone)", async () => {
    const { url, received } = await slowReceiver(0);
    const { store, base } = setup(url);
    // A run queued an alert and claimed it, then died before sending it.
    const down = AlertsConfigSchema.parse({ destinations: [{ name: "ops", type: "slack", urlEnv: "UNSET_WEBHOOK" }] });
    const queued = await runAlerts({ ...base, config: down, failure: "Tempo: unreachable", now: () => new Date("2026-03-02T10:00:00Z") });
    const state = await store.load();
    state.pending[0]!.inflight = { token: "dead-run", until: "2026-03-02T10:06:00.000Z" };
    await store.save(state);
    const early = await runAlerts({ ...base, now: () => new Date("2026-03-02T10:05:00Z") });
    expect(early.delivered).toEqual([]);
    expect(received).toHaveLength(0);
    const late = await runAlerts({ ...base, now: () => new Date("2026-03-02T10:07:00Z") });
    expect(late.delivered).toEqual([queued.queued[0]!.id]);
    expect(received).toHaveLength(1);
    expect((await store.load()).pending).toEqual([]);
  });
});
