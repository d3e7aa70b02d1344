// Discord webhook: embeds, `?wait=true` so errors are reported, and no mentions ever parsed.
// Limits (discord-api-docs, platform.md §6.3): content 2000; ≤ 10 embeds; title 256; description
// 4096; ≤ 25 fields (name 256, value 1024); footer 2048; 6000 characters across all embeds.
import { clipText, fitItems, moreLine } from "../text";
import type { Alert, PreparedRequest } from "../types";
import { itemLine, SEVERITY_COLOR } from "./common";

export const DISCORD_LIMITS = { content: 2000, embeds: 10, title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, footer: 2048, totalEmbedChars: 6000, itemChars: 300 } as const;

/** Escapes Discord markdown (masked links, bold, spoilers, quotes, headings) in trace data. */
export function discordEscape(text: string): string {
  return text.replace(/([\\*_~`|>#\-[\]()<@])/g, "\\$1");
}

interface Embed {
  title: string;
  description: string;
  color: number;
  url?: string;
  timestamp: string;
  footer?: { text: string };
}

function embedChars(e: Embed): number {
  return e.title.length + e.description.length + (e.footer?.text.length ?? 0);
}

function build(alert: Alert, n: number): { username: string; content: string; allowed_mentions: { parse: never[] }; embeds: Embed[] } {
  const lines = alert.items.slice(0, n).map((i) => `• ${discordEscape(clipText(itemLine(i), DISCORD_LIMITS.itemChars))}`);
  const description = [discordEscape(alert.summary), ...lines].join("\n");
  const embed: Embed = {
    title: clipText(alert.title, DISCORD_LIMITS.title),
    description: clipText(description, DISCORD_LIMITS.description),
    color: SEVERITY_COLOR[alert.severity],
    timestamp: alert.runAt,
  };
  if (alert.reportUrl) embed.url = alert.reportUrl;
  if (n < alert.items.length) embed.footer = { text: moreLine(alert.items.length - n, alert.reportUrl) };
  return { username: "tracelint", content: "", allowed_mentions: { parse: [] }, embeds: [embed] };
}

function discordFit(alert: Alert) {
  return fitItems(
    alert.items.length,
    (n) => build(alert, n),
    (p) => p.embeds.every((e) => e.description.length < DISCORD_LIMITS.description) && p.embeds.reduce((sum, e) => sum + embedChars(e), 0) <= DISCORD_LIMITS.totalEmbedChars,
  );
}

export function discordPayload(alert: Alert) {
  return discordFit(alert).payload;
}

/** Adds `wait=true`, keeping the webhook's own query (thread_id, …). */
export function discordUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.set("wait", "true");
  return u.href;
}

export function prepareDiscord(alert: Alert, url: string): PreparedRequest {
  const { n, payload } = discordFit(alert);
  // Discord needs content or embeds; empty content is dropped.
  const { content, ...rest } = payload;
  return { url: discordUrl(url), body: JSON.stringify(content ? payload : rest), headers: { "content-type": "application/json" }, itemsShown: n };
}
