// Alerts for a real SDK-recorded estate (broken propagation, PII, cardinality, hostile names) sent
// to real HTTP receivers on 127.0.0.1; every payload is checked against the destination's documented
// shape and limits, for leaked PII and for markup injection.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertsConfigSchema, MemoryAlertStateStore, runAlerts, type Alert } from "../src/alerts/index";
import { discordPayload } from "../src/alerts/destinations/discord";
import { googleChatPayload } from "../src/alerts/destinations/google-chat";
import { slackPayload } from "../src/alerts/destinations/slack";
import { teamsPayload } from "../src/alerts/destinations/teams";
import { genericPayload } from "../src/alerts/destinations/generic";
import type { Report } from "../src/report/schema";
import { discordViolations, googleChatViolations, slackViolations, teamsViolations } from "./support/payload-shapes";
import { estateReport, HOSTILE, RAW_CARD, RAW_EMAIL } from "./support/report-estate";
import { ok, WebhookReceiver, type ReceivedRequest } from "./support/webhook-receiver";

const SECRET = "test-signing-secret";
let receiver: WebhookReceiver;
let base: string;
let report: Report;

function config(reportUrl = "https://reports.example/run/42") {
  return AlertsConfigSchema.parse({
    reportUrl,
    destinations: [
      { name: "slack", type: "slack", url: `${base}/services/T000/B000/XXXX` },
      { name: "teams", type: "teams", url: `${base}/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=s` },
      { name: "discord", type: "discord", url: `${base}/api/webhooks/123/token` },
      { name: "gchat", type: "google-chat", url: `${base}/v1/spaces/AAAA/messages?key=k&token=t` },
      { name: "generic", type: "generic", url: `${base}/hook`, secretEnv: "HOOK_SECRET" },
    ],
  });
}

function byPath(prefix: string): ReceivedRequest[] {
  return receiver.requests.filter((r) => r.path.startsWith(prefix));
}

beforeAll(async () => {
  receiver = new WebhookReceiver((r) => (r.path.startsWith("/workflows") ? ok(202, "") : r.path.startsWith("/api/webhooks") ? ok(200, '{"id":"1"}') : ok()));
  base = await receiver.start();
  report = await estateReport({ fraudBroken: true, cardinality: true, pii: true, hostile: true });
  const result = await runAlerts({ config: config(), store: new MemoryAlertStateStore(), report, env: { HOOK_SECRET: SECRET }, minIntervalMs: 0 });
  expect(result.failed).toEqual([]);
  expect(result.delivered).toHaveLength(5);
});
afterAll(() => receiver.stop());

describe("alert payloads", () => {
  it("sends one message per destination, each with every error/warning finding of the first run", () => {
    for (const prefix of ["/services", "/workflows", "/api/webhooks", "/v1/spaces", "/hook"]) expect(byPath(prefix)).toHaveLength(1);
    const generic = byPath("/hook")[0]!.json as { items: { ruleId: string; change: string }[]; itemsOmitted: number };
    expect(generic.items.map((i) => i.ruleId).sort()).toEqual(
      ["high-cardinality-span-name", "orphan-span", "pii-in-attributes", "pii-in-attributes", "pii-in-attributes", "propagation-gap", "split-trace"].sort(),
    );
    expect(new Set(generic.items.map((i) => i.change))).toEqual(new Set(["new"]));
    expect(generic.itemsOmitted).toBe(0);
  });

  it("matches each destination's documented shape and limits", () => {
    expect(slackViolations(byPath("/services")[0]!.json as object)).toEqual([]);
    expect(teamsViolations(byPath("/workflows")[0]!.json as object)).toEqual([]);
    const discord = byPath("/api/webhooks")[0]!;
    expect(discordViolations(discord.json as object, new URL(`http://x${discord.path}?${discord.query}`))).toEqual([]);
    expect(googleChatViolations(byPath("/v1/spaces")[0]!.json as object)).toEqual([]);
    // The Google Chat webhook's own key/token survive; JSON content type with charset as documented.
    expect(byPath("/v1/spaces")[0]!.query.get("key")).toBe("k");
    expect(byPath("/v1/spaces")[0]!.headers["content-type"]).toBe("application/json; charset=UTF-8");
  });

  it("never carries a raw PII value, and masks evidence in item text", () => {
    for (const r of receiver.requests) {
      expect(r.body).not.toContain(RAW_EMAIL);
      expect(r.body).not.toContain(RAW_CARD);
    }
  });

  it("neutralises markup from trace data for each destination's syntax", () => {
    const slack = byPath("/services")[0]!.body;
    expect(slack).not.toContain("<script>");
    expect(slack).toContain("&lt;script&gt;window.__pwned=1&lt;/script&gt;");
    const gchat = byPath("/v1/spaces")[0]!.body;
    expect(gchat).not.toContain("<script>");
    expect(gchat).toContain("&lt;script&gt;");
    const discord = byPath("/api/webhooks")[0]!.json as { embeds: { description: string }[] };
    expect(discord.embeds[0]!.description).toContain("\\<script\\>");
  });

  it("links the full report (Slack context link, Teams OpenUrl action, Discord embed url, Chat button)", () => {
    expect(byPath("/services")[0]!.body).toContain("<https://reports.example/run/42|Full report>");
    const teams = byPath("/workflows")[0]!.json as { attachments: { content: { actions: { url: string }[] } }[] };
    expect(teams.attachments[0]!.content.actions[0]!.url).toBe("https://reports.example/run/42");
    expect((byPath("/api/webhooks")[0]!.json as { embeds: { url: string }[] }).embeds[0]!.url).toBe("https://reports.example/run/42");
    expect(byPath("/v1/spaces")[0]!.body).toContain('"openLink":{"url":"https://reports.example/run/42"}');
  });

  it("signs the generic webhook: HMAC-SHA256 over timestamp + '.' + body, fresh timestamp, stable alert ID", () => {
    const r = byPath("/hook")[0]!;
    const timestamp = String(r.headers["x-tracelint-timestamp"]);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    const expected = `sha256=${createHmac("sha256", SECRET).update(`${timestamp}.${r.body}`).digest("hex")}`;
    expect(r.headers["x-tracelint-signature"]).toBe(expected);
    expect(r.headers["x-tracelint-alert-id"]).toBe((r.json as { id: string }).id);
    const tampered = createHmac("sha256", SECRET).update(`${timestamp}.${r.body} `).digest("hex");
    expect(r.headers["x-tracelint-signature"]).not.toBe(`sha256=${tampered}`);
  });
});

describe("truncation", () => {
  // A synthetic alert with far more items than any chat message holds (not trace data).
  const big: Alert = {
    id: "a1",
    destination: "d",
    kind: "findings",
    severity: "error",
    title: "tracelint: 600 new or worsened trace-quality issue(s)",
    summary: "600 error in checkout.",
    items: Array.from({ length: 600 }, (_, i) => ({
      fingerprint: `f${i}`,
      change: "new" as const,
      severity: "error" as const,
      ruleId: "orphan-span",
      service: `service-${i}`,
      subject: null,
      text: `orphan-span in service-${i}: ${"x".repeat(250)}`,
    })),
    reportUrl: "https://reports.example/run/42",
    runAt: "2026-03-01T10:00:00.000Z",
    createdAt: "2026-03-01T10:00:01.000Z",
  };
  const moreOf = (text: string) => Number(/…and (\d+) more \(see the full report\)/.exec(text)?.[1]);

  it("Slack: stays within 50 blocks and the aggregate size, says how many were left out", () => {
    const p = slackPayload(big);
    expect(slackViolations(p)).toEqual([]);
    const shown = p.blocks.filter((b) => b.type === "section").slice(1).map((b) => (b.text as { text: string }).text.split("\n").length).reduce((a, b) => a + b, 0);
    expect(shown).toBeGreaterThan(10);
    expect(shown + moreOf(JSON.stringify(p.blocks))).toBe(600);
  });

  it("Teams: under 28 KB with the remainder counted", () => {
    const p = teamsPayload(big);
    expect(teamsViolations(p)).toEqual([]);
    const body = (p.attachments as { content: { body: { text?: string }[] } }[])[0]!.content.body;
    const shown = body.filter((b) => b.text?.startsWith("• ")).length;
    expect(shown + moreOf(JSON.stringify(p))).toBe(600);
  });

  it("Discord: description ≤ 4096 and embeds ≤ 6000 chars, remainder in the footer", () => {
    const p = discordPayload(big);
    expect(discordViolations(p, new URL("http://x/?wait=true"))).toEqual([]);
    const shown = p.embeds[0]!.description.split("\n").length - 1;
    expect(shown + moreOf(p.embeds[0]!.footer!.text)).toBe(600);
  });

  it("Google Chat: under 32,000 bytes and 100 widgets", () => {
    const p = googleChatPayload(big);
    expect(googleChatViolations(p)).toEqual([]);
    const widgets = p.cardsV2[0]!.card.sections[0]!.widgets;
    const shown = widgets.length - 3; // summary, "and N more", button
    expect(shown + moreOf(JSON.stringify(p))).toBe(600);
  });

  it("generic: respects the configured byte limit", () => {
    const p = genericPayload(big, 20_000);
    expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(20_000);
    expect(p.items.length + p.itemsOmitted).toBe(600);
    expect(p.itemsOmitted).toBeGreaterThan(0);
  });
});

it("hostile service names in the estate are what the alerts escaped", () => {
  expect(report.findings.some((f) => f.service === HOSTILE.service)).toBe(true);
});
