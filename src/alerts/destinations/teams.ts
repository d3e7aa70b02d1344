// Microsoft Teams through a Workflows (Power Automate) "when a webhook request is received" flow:
// a message envelope with one Adaptive Card (v1.4) attachment. The retired Office 365 connector
// URLs and MessageCard format are not supported. Limit: 28 KB per message (platform.md §6.2).
import { clipText, fitItems, moreLine, utf8Length } from "../text";
import type { Alert, PreparedRequest } from "../types";
import { itemLine, SEVERITY_LABEL } from "./common";

export const TEAMS_LIMITS = { bytes: 28_672, budgetBytes: 26_000, itemChars: 400 } as const;

/** Legacy Office 365 connector hosts (retired). */
export function isRetiredTeamsConnector(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host.endsWith(".webhook.office.com") || host === "outlook.office.com" || host === "outlook.office365.com";
  } catch {
    return false;
  }
}

/** TextBlock markdown renders `[text](url)` as a link and `**` as bold: break both for trace data. */
export function teamsEscape(text: string): string {
  return text.replace(/\]\(/g, "]\u200b(").replace(/([*_~`#>\\[\]])/g, "\\$1");
}

function build(alert: Alert, n: number): Record<string, unknown> {
  const body: Record<string, unknown>[] = [
    { type: "TextBlock", size: "Medium", weight: "Bolder", text: teamsEscape(alert.title), wrap: true },
    { type: "TextBlock", text: teamsEscape(alert.summary), wrap: true },
    { type: "FactSet", facts: [{ title: "Severity", value: SEVERITY_LABEL[alert.severity] }, { title: "Run", value: alert.runAt }] },
  ];
  for (const item of alert.items.slice(0, n)) {
    body.push({ type: "TextBlock", text: `• ${teamsEscape(clipText(itemLine(item), TEAMS_LIMITS.itemChars))}`, wrap: true, spacing: "Small" });
  }
  if (n < alert.items.length) body.push({ type: "TextBlock", text: moreLine(alert.items.length - n, alert.reportUrl), wrap: true, isSubtle: true });
  const content: Record<string, unknown> = {
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    type: "AdaptiveCard",
    version: "1.4",
    body,
  };
  if (alert.reportUrl) content.actions = [{ type: "Action.OpenUrl", title: "Full report", url: alert.reportUrl }];
  return { type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content }] };
}

function teamsFit(alert: Alert) {
  return fitItems(alert.items.length, (n) => build(alert, n), (p) => utf8Length(JSON.stringify(p)) <= TEAMS_LIMITS.budgetBytes);
}

export function teamsPayload(alert: Alert): Record<string, unknown> {
  return teamsFit(alert).payload;
}

export function prepareTeams(alert: Alert, url: string): PreparedRequest {
  const { n, payload } = teamsFit(alert);
  return { url, body: JSON.stringify(payload), headers: { "content-type": "application/json" }, itemsShown: n };
}
