// Slack incoming webhook with Block Kit. Limits (api.slack.com, platform.md §6.1): ≤ 50 blocks,
// header ≤ 150 chars, section text ≤ 3000; the aggregate is kept ≤ 12,000 chars because Slack
// rejects long messages (`msg_blocks_too_long`) below the documented per-block limits.
import { clipText, fitItems, moreLine } from "../text";
import type { Alert, PreparedRequest } from "../types";
import { fallbackText, itemLine } from "./common";

export const SLACK_LIMITS = { blocks: 50, headerChars: 150, sectionChars: 3000, totalBlockChars: 12_000, itemChars: 400 } as const;

/** Slack mrkdwn: only &, < and > are control characters (links, mentions); escape them. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

type Block = Record<string, unknown>;

function build(alert: Alert, n: number): { text: string; blocks: Block[] } {
  const blocks: Block[] = [
    { type: "header", text: { type: "plain_text", text: clipText(alert.title, SLACK_LIMITS.headerChars), emoji: false } },
    { type: "section", text: { type: "mrkdwn", text: clipText(slackEscape(alert.summary), SLACK_LIMITS.sectionChars) } },
  ];
  // Pack item lines into sections of at most 3000 chars.
  let chunk: string[] = [];
  const flush = () => {
    if (chunk.length > 0) blocks.push({ type: "section", text: { type: "mrkdwn", text: chunk.join("\n") } });
    chunk = [];
  };
  for (const item of alert.items.slice(0, n)) {
    const line = `• ${slackEscape(clipText(itemLine(item), SLACK_LIMITS.itemChars))}`;
    if ([...chunk, line].join("\n").length > SLACK_LIMITS.sectionChars) flush();
    chunk.push(line);
  }
  flush();
  const footer: string[] = [];
  if (n < alert.items.length) footer.push(slackEscape(moreLine(alert.items.length - n, alert.reportUrl)));
  if (alert.reportUrl) footer.push(`<${alert.reportUrl.replace(/[<>|]/g, encodeURIComponent)}|Full report>`);
  if (footer.length > 0) blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: footer.join(" · ") }] });
  // The fallback text is mrkdwn too (notifications, old clients): same escaping.
  return { text: clipText(slackEscape(fallbackText(alert)), 3000), blocks };
}

function slackFit(alert: Alert): { n: number; payload: { text: string; blocks: Block[] } } {
  return fitItems(alert.items.length, (n) => build(alert, n), (p) => p.blocks.length <= SLACK_LIMITS.blocks && JSON.stringify(p.blocks).length <= SLACK_LIMITS.totalBlockChars);
}

export function slackPayload(alert: Alert): { text: string; blocks: Block[] } {
  return slackFit(alert).payload;
}

export function prepareSlack(alert: Alert, url: string): PreparedRequest {
  const { n, payload } = slackFit(alert);
  return { url, body: JSON.stringify(payload), headers: { "content-type": "application/json" }, itemsShown: n };
}
