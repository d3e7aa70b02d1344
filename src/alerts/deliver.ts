// Sends one prepared request with a timeout per attempt and retries: exponential backoff on network
// errors, timeouts and 5xx; on 429 it waits what the receiver asks (`Retry-After` header in seconds
// or as an HTTP date, or Discord's JSON `retry_after` in seconds). 3xx, 401/403 and 404/410 mean
// the webhook URL is wrong, unauthorised or gone: no retry, the alert is kept. Other 4xx mean the
// payload was refused: no retry either, the alert is dropped.
import { safeLine } from "./text";
import type { PreparedRequest } from "./types";

export interface DeliveryOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A 429 asking to wait longer than this ends the attempts for this run (the outbox keeps the alert). */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export type DeliveryResult =
  | { outcome: "delivered"; status: number; attempts: number }
  | { outcome: "gone"; status: number; attempts: number; error: string }
  | { outcome: "rejected"; status: number; attempts: number; error: string }
  | { outcome: "failed"; status: number | null; attempts: number; error: string };

export const DELIVERY_DEFAULTS = { timeoutMs: 10_000, maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 } as const;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Milliseconds to wait from a 429/503 response, or undefined when it does not say. */
export function retryAfterMs(headers: Headers, body: string, nowMs: number): number | undefined {
  const header = headers.get("retry-after");
  if (header !== null) {
    if (/^\s*\d+(\.\d+)?\s*$/.test(header)) return Math.ceil(Number(header) * 1000);
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  try {
    const parsed = JSON.parse(body) as { retry_after?: unknown };
    if (typeof parsed.retry_after === "number" && parsed.retry_after >= 0) return Math.ceil(parsed.retry_after * 1000);
  } catch {
    // not JSON
  }
  return undefined;
}

/** The receiver's error body, masked and clipped, for logs. */
function describe(status: number, body: string): string {
  const text = safeLine(body, 200);
  return `HTTP ${status}${text ? `: ${text}` : ""}`;
}

export async function deliver(request: PreparedRequest, options: DeliveryOptions = {}): Promise<DeliveryResult> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const maxAttempts = options.maxAttempts ?? DELIVERY_DEFAULTS.maxAttempts;
  const timeoutMs = options.timeoutMs ?? DELIVERY_DEFAULTS.timeoutMs;
  const baseDelay = options.baseDelayMs ?? DELIVERY_DEFAULTS.baseDelayMs;
  const maxDelay = options.maxDelayMs ?? DELIVERY_DEFAULTS.maxDelayMs;
  const maxRetryAfter = options.maxRetryAfterMs ?? DELIVERY_DEFAULTS.maxRetryAfterMs;
  let lastStatus: number | null = null;
  let lastError = "not attempted";
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let wait = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1));
    try {
      const headers = { ...request.headers, ...(request.sign ? await request.sign(request.body, now()) : {}) };
      // Redirects are not followed (a signed payload must not go to another host), but "manual",
      // not "error": workerd refuses `redirect: "error"` outright, which failed every delivery.
      const response = await doFetch(request.url, { method: "POST", headers, body: request.body, signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
      const text = await response.text().catch(() => "");
      lastStatus = response.status;
      if (response.ok) return { outcome: "delivered", status: response.status, attempts: attempt };
      // The URL is wrong, gone or no longer authorised: a configuration problem someone will fix, so
      // the alert is kept (not dropped as a refused payload) and this destination waits for the fix.
      if (response.status >= 300 && response.status < 400) {
        return { outcome: "gone", status: response.status, attempts: attempt, error: `HTTP ${response.status} redirect, not followed (the webhook URL has moved or is wrong)` };
      }
      if (response.status === 404 || response.status === 410) {
        return { outcome: "gone", status: response.status, attempts: attempt, error: `${describe(response.status, text)} (the webhook no longer exists: deleted, revoked or mistyped)` };
      }
      if (response.status === 401 || response.status === 403) {
        return { outcome: "gone", status: response.status, attempts: attempt, error: `${describe(response.status, text)} (the webhook refused its own URL's credentials: revoked or rotated)` };
      }
      lastError = describe(response.status, text);
      if (response.status === 429 || response.status === 503) {
        const asked = retryAfterMs(response.headers, text, now());
        if (asked !== undefined) {
          if (asked > maxRetryAfter) return { outcome: "failed", status: response.status, attempts: attempt, error: `${lastError} (asked to wait ${Math.ceil(asked / 1000)} s; kept for the next run)` };
          wait = asked;
        }
      } else if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 425) {
        return { outcome: "rejected", status: response.status, attempts: attempt, error: lastError };
      }
    } catch (error) {
      const e = error as Error;
      lastStatus = null;
      // Error texts may quote the URL (a secret): it is cut out before anything is logged or stored.
      lastError = e.name === "TimeoutError" || e.name === "AbortError" ? `no answer within ${timeoutMs} ms` : `network error: ${safeLine(e.message.split(request.url).join("<webhook URL>"), 200)}`;
    }
    if (attempt < maxAttempts) await sleep(wait);
  }
  return { outcome: "failed", status: lastStatus, attempts: maxAttempts, error: lastError };
}
