// Google Chat incoming webhook with a `cardsV2` card (v1 `cards` is deprecated). Limits
// (developers.google.com/chat, platform.md §6.4): message ≤ 32,000 bytes including cards; ≤ 100
// widgets per card. textParagraph/decoratedText accept a small HTML subset, so trace data is
// HTML-escaped; the fallback `text` uses `<url|label>` links, so angle brackets are replaced.
import { clipText, fitItems, moreLine, utf8Length } from "../text";
import type { Alert, PreparedRequest } from "../types";
import { itemLine, SEVERITY_LABEL } from "./common";

export const GOOGLE_CHAT_LIMITS = { bytes: 32_000, budgetBytes: 30_000, widgets: 100, itemChars: 400 } as const;

export function chatHtmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function plainText(text: string): string {
  return text.replace(/</g, "‹").replace(/>/g, "›");
}

function build(alert: Alert, n: number) {
  const widgets: Record<string, unknown>[] = [{ textParagraph: { text: chatHtmlEscape(alert.summary) } }];
  for (const item of alert.items.slice(0, n)) widgets.push({ textParagraph: { text: chatHtmlEscape(clipText(itemLine(item), GOOGLE_CHAT_LIMITS.itemChars)) } });
  if (n < alert.items.length) widgets.push({ textParagraph: { text: chatHtmlEscape(moreLine(alert.items.length - n, alert.reportUrl)) } });
  if (alert.reportUrl) widgets.push({ buttonList: { buttons: [{ text: "Full report", onClick: { openLink: { url: alert.reportUrl } } }] } });
  return {
    text: clipText(plainText(`${alert.title}: ${alert.summary}`), 4000),
    cardsV2: [
      {
        cardId: `tracelint-${alert.id}`,
        card: {
          header: { title: clipText(alert.title, 200), subtitle: `${SEVERITY_LABEL[alert.severity]} · ${alert.runAt}` },
          sections: [{ widgets }],
        },
      },
    ],
  };
}

function googleChatFit(alert: Alert) {
  return fitItems(
    alert.items.length,
    (n) => build(alert, n),
    (p) => utf8Length(JSON.stringify(p)) <= GOOGLE_CHAT_LIMITS.budgetBytes && (p.cardsV2[0]?.card.sections[0]?.widgets.length ?? 0) <= GOOGLE_CHAT_LIMITS.widgets,
  );
}

export function googleChatPayload(alert: Alert) {
  return googleChatFit(alert).payload;
}

export function prepareGoogleChat(alert: Alert, url: string): PreparedRequest {
  const { n, payload } = googleChatFit(alert);
  return { url, body: JSON.stringify(payload), headers: { "content-type": "application/json; charset=UTF-8" }, itemsShown: n };
}
