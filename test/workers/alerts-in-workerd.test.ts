// Alert delivery inside workerd, to a real receiver on 127.0.0.1: workerd refuses some fetch
// options that Node accepts (`redirect: "error"` failed every delivery from the Worker). And two
// runs of one audit alerting at once through the Durable Object lock: each alert is sent once.
import { env } from "cloudflare:test";
import { inject } from "vitest";
import { describe, expect, it } from "vitest";
import { DurableObjectRunCounter } from "../../functions/run-coordinator";
import type { Env } from "../../functions/platform";
import { deliver } from "../../src/alerts/deliver";
import { parseDeploymentConfig } from "../../src/config/deployment";
import { sendAlerts } from "../../src/runs/publish";
import { RunStore } from "../../src/runs/run-store";
import { R2BindingObjectStore } from "../../src/storage/r2-binding";

const noWait = async () => {};

describe("alert delivery in workerd", () => {
  it("posts the payload, and does not follow a redirect (the alert is kept for a fixed URL, not retried)", async () => {
    const base = inject("webhookUrl");
    const body = JSON.stringify({ alertKind: "findings", text: "workerd delivery" });
    const ok = await deliver({ url: `${base}/ok`, body, headers: { "Content-Type": "application/json" } }, { sleep: noWait });
    expect(ok).toEqual({ outcome: "delivered", status: 200, attempts: 1 });

    const moved = await deliver({ url: `${base}/moved`, body, headers: { "Content-Type": "application/json" } }, { sleep: noWait });
    expect(moved).toEqual({ outcome: "gone", status: 302, attempts: 1, error: "HTTP 302 redirect, not followed (the webhook URL has moved or is wrong)" });

    const received = ((await (await fetch(`${base}/received`)).json()) as { path: string; body: string }[]).filter((r) => r.path === "/ok" || r.path === "/moved");
    // The redirect target was never posted to. (Other test files post to their own paths.)
    expect(received).toEqual([
      { path: "/ok", body },
      { path: "/moved", body },
    ]);
  });
});

describe("alerts of two runs of one audit at once", () => {
  it("a slow webhook: the second run does not send the first run's pending alert again (Durable Object lock, claims)", async () => {
    const e = env as unknown as Env;
    const store = new RunStore(new R2BindingObjectStore(e.REPORTS, "REPORTS"));
    const counter = new DurableObjectRunCounter(e.RUN_COORDINATOR);
    const path = `/slow/race-${Math.random().toString(16).slice(2)}`;
    const config = parseDeploymentConfig({ audits: [{ name: "alert-race", source: { kind: "tempo", url: "http://127.0.0.1:9/" }, alerts: { destinations: [{ name: "hook", type: "generic", url: `${inject("webhookUrl")}${path}` }] } }] });
    const audit = config.audits[0]!;
    const logs: string[] = [];
    const log = (level: string, message: string) => void logs.push(`${level} ${message}`);
    const lock = counter.withLock.bind(counter);
    // The API run fails and alerts; while the webhook takes its time, the cron run fails too.
    const first = sendAlerts(store, audit, { failure: "Tempo: search failed (HTTP 400)" }, {}, log, () => new Date(), lock);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = await sendAlerts(store, audit, { failure: "Tempo: search failed (HTTP 400)" }, {}, log, () => new Date(), lock);
    expect(await first).toMatchObject({ queued: 1, delivered: 1, pending: 0 });
    expect(second).toMatchObject({ queued: 0, delivered: 0 }); // quiet period: nothing new; the first run's alert is left to it
    const received = ((await (await fetch(`${inject("webhookUrl")}/received`)).json()) as { path: string; body: string }[]).filter((r) => r.path === path);
    expect(received).toHaveLength(1);
    expect(logs.filter((l) => l.includes("delivered audit-failed alert"))).toHaveLength(1);
  });
});
