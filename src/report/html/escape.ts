// Everything that reaches the page from trace data (service and span names, attribute keys,
// messages) is attacker-controlled. Text and attribute values go through `esc`; URLs through
// `safeHref`, which only lets http(s) through. The page itself carries no script at all.

import { BIDI_CONTROLS } from "../../util/control";

const HTML_SPECIAL: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

/**
 * Escapes text for HTML element content and quoted attribute values alike. Bidi controls become
 * U+FFFD: `<bdi>` keeps a name from reordering its neighbours, but an override inside it would
 * still make the name itself read backwards.
 */
export function esc(value: string | number): string {
  return String(value)
    .replace(/[&<>"'`]/g, (ch) => HTML_SPECIAL[ch] ?? ch)
    .replace(BIDI_CONTROLS, "\uFFFD");
}

/** An http(s) URL, escaped for an attribute, or null for anything else (javascript:, data:, …). */
export function safeHref(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  return esc(parsed.href);
}

/** Shortens to `max` characters (on code points) with an ellipsis; escape afterwards. */
export { clip } from "../../util/clip";
