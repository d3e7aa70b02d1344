// When and how long to wait before retrying a Tempo request: 429 (queue full), 5xx and network
// errors are transient; other statuses are answers. Exponential backoff with "equal jitter" (half fixed, half random), capped,
// and a server's Retry-After wins when it asks for a longer pause (up to a ceiling).

export interface RetryPolicy {
  /** Attempts per request, including the first (default 4). */
  maxAttempts: number;
  /** First backoff step (default 250 ms); step k is base × 2^k, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After honoured; longer asks fail the request instead of stalling the audit. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
};

/** 429 and 5xx are worth retrying; 501 (not implemented) and 505 never change. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status !== 501 && status !== 505);
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unparseable. */
export function parseRetryAfter(value: string | null, now: Date = new Date()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}

/**
 * Delay before attempt `attempt + 1` (attempt counts from 0): equal jitter over the exponential
 * step, never shorter than Retry-After. Returns undefined when Retry-After exceeds the ceiling.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) return undefined;
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = Math.round(step / 2 + random() * (step / 2));
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** A sleep that an AbortSignal can cut short. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
