// Generic JSON webhook, optionally signed. Receivers verify:
//   X-Tracelint-Timestamp: <Unix seconds when sent>
//   X-Tracelint-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
// and reject stale timestamps (e.g. older than 5 minutes) to stop replays. X-Tracelint-Alert-Id is
// stable across retries, so receivers can drop duplicates. Web Crypto only (Node and Workers).
import { fitItems, moreLine, utf8Length } from "../text";
import type { Alert, PreparedRequest } from "../types";

export const GENERIC_LIMITS = { bytes: 256 * 1024 } as const;
export const SIGNATURE_HEADER = "x-tracelint-signature";
export const TIMESTAMP_HEADER = "x-tracelint-timestamp";
export const ALERT_ID_HEADER = "x-tracelint-alert-id";

function toHex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** `sha256=<hex>` over `${timestamp}.${body}`. */
export async function signBody(secret: string, timestamp: string, body: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${timestamp}.${body}`));
  return `sha256=${toHex(mac)}`;
}

function build(alert: Alert, n: number) {
  return {
    version: 1,
    kind: "tracelint.alert",
    id: alert.id,
    alertKind: alert.kind,
    severity: alert.severity,
    title: alert.title,
    summary: alert.summary,
    runAt: alert.runAt,
    createdAt: alert.createdAt,
    reportUrl: alert.reportUrl ?? null,
    items: alert.items.slice(0, n),
    itemsOmitted: alert.items.length - n,
    ...(n < alert.items.length ? { note: moreLine(alert.items.length - n, alert.reportUrl) } : {}),
  };
}

function genericFit(alert: Alert, maxBytes: number) {
  return fitItems(alert.items.length, (n) => build(alert, n), (p) => utf8Length(JSON.stringify(p)) <= maxBytes);
}

export function genericPayload(alert: Alert, maxBytes: number = GENERIC_LIMITS.bytes) {
  return genericFit(alert, maxBytes).payload;
}

export function prepareGeneric(alert: Alert, url: string, secret: string | undefined, maxBytes?: number): PreparedRequest {
  const { n, payload } = genericFit(alert, maxBytes ?? GENERIC_LIMITS.bytes);
  const request: PreparedRequest = {
    url,
    body: JSON.stringify(payload),
    headers: { "content-type": "application/json", [ALERT_ID_HEADER]: alert.id },
    itemsShown: n,
  };
  if (secret) {
    request.sign = async (body, nowMs) => {
      const timestamp = String(Math.floor(nowMs / 1000));
      return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: await signBody(secret, timestamp, body) };
    };
  }
  return request;
}
