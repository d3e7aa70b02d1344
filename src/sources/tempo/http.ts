// One GET against Tempo with a per-attempt timeout and retries (429/5xx/network errors, with
// backoff and Retry-After). Runtime-neutral: only fetch, AbortSignal and web streams.
import { authHeaders, redact, secretsOf, type TempoAuth } from "./auth";
import { bodySnippet, describeNetworkError, InterruptedError, TempoError } from "./errors";
import { backoffDelay, DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter, sleep, type RetryPolicy } from "./retry";
import { concatChunks } from "../../util/bytes";

export interface TempoHttpOptions {
  /** Tempo's base URL, including any path prefix (Grafana Cloud: `https://tempo-<zone>.grafana.net/tempo`). */
  baseUrl: string;
  auth?: TempoAuth;
  /** `X-Scope-OrgID`; omit for single-tenant Tempo. */
  tenant?: string;
  /** Per attempt, headers and body together (default 30 s). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Largest body accepted (default 64 MiB; Tempo's own per-trace default is 5 MB). */
  maxBodyBytes?: number;
  fetch?: typeof fetch;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told about each retry (for progress and logs); the message carries no credentials. */
  onRetry?: (event: RetryEvent) => void;
  /**
   * Stops the requests (the audit was interrupted): the one in flight is aborted, none is
   * started or retried, and `get` throws InterruptedError.
   */
  signal?: AbortSignal;
}

export interface RetryEvent {
  path: string;
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface TempoResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** Attempts it took. */
  attempts: number;
}

export type QueryParams = Record<string, string | number | boolean | undefined>;

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BODY = 64 * 1024 * 1024;

/** Validates and normalises a base URL; credentials in it are refused (they would leak via argv). */
export function parseBaseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TempoError("bad-request", "the Tempo URL is not a valid URL (expected e.g. http://localhost:3200)");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TempoError("bad-request", `the Tempo URL must be http:// or https:// (got ${url.protocol})`);
  }
  if (url.username || url.password) {
    throw new TempoError("bad-request", "the Tempo URL contains credentials; put them in TEMPO_USER/TEMPO_PASSWORD or TEMPO_TOKEN instead");
  }
  url.search = "";
  url.hash = "";
  url.pathname = url.pathname.replace(/\/+$/, "");
  return url;
}

class BodyTooLarge extends Error {}

async function readBody(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new BodyTooLarge();
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return concatChunks(chunks, total);
}

export class TempoHttp {
  readonly baseUrl: URL;
  readonly #headers: Record<string, string>;
  readonly #secrets: string[];
  readonly #timeoutMs: number;
  readonly #policy: RetryPolicy;
  readonly #maxBody: number;

  /** The cap on a response body, after the HTTP layer's own Content-Encoding. */
  get maxBodyBytes(): number {
    return this.#maxBody;
  }
  readonly #fetch: typeof fetch;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #onRetry: ((event: RetryEvent) => void) | undefined;
  readonly #signal: AbortSignal | undefined;

  constructor(options: TempoHttpOptions) {
    this.baseUrl = parseBaseUrl(options.baseUrl);
    const auth = options.auth ?? {};
    this.#headers = authHeaders(auth, options.tenant);
    this.#secrets = secretsOf(auth);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...(options.retry ?? {}) };
    this.#maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms) => sleep(ms, options.signal));
    this.#onRetry = options.onRetry;
    this.#signal = options.signal;
  }

  /** The base URL as safe to print (no query, no credentials). */
  get displayUrl(): string {
    return `${this.baseUrl.origin}${this.baseUrl.pathname.replace(/\/+$/, "")}`;
  }

  /** Removes credentials from any text that might quote them (error bodies, exception messages). */
  redact(text: string): string {
    return redact(text, this.#secrets);
  }

  urlFor(path: string, query: QueryParams = {}): URL {
    const url = new URL(this.baseUrl.href);
    // A bare origin's pathname is "/", which must not double the slash of `path`.
    url.pathname = `${this.baseUrl.pathname.replace(/\/+$/, "")}${path}`;
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  /**
   * GETs `path` under the base URL. Retryable failures are retried; the last response is returned
   * whatever its status once it is not retryable. Throws TempoError when no usable answer came.
   */
  async get(path: string, query: QueryParams, accept: string): Promise<TempoResponse> {
    const url = this.urlFor(path, query);
    const headers = { ...this.#headers, Accept: accept };
    let lastFailure: TempoError | undefined;
    const stopped = this.#signal;
    for (let attempt = 0; attempt < this.#policy.maxAttempts; attempt++) {
      if (stopped?.aborted) throw new InterruptedError();
      let retryAfterMs: number | undefined;
      try {
        const timeout = AbortSignal.timeout(this.#timeoutMs);
        const signal = stopped ? AbortSignal.any([timeout, stopped]) : timeout;
        const response = await this.#fetch(url, { method: "GET", headers, signal, redirect: "follow" });
        if (isRetryableStatus(response.status)) {
          retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
          const text = await response.text().catch(() => "");
          const snippet = this.redact(bodySnippet(text));
          lastFailure = new TempoError("http", `HTTP ${response.status}${snippet ? ` (${snippet})` : ""}`, { status: response.status, attempts: attempt + 1 });
        } else {
          const body = await readBody(response, this.#maxBody);
          return { status: response.status, headers: response.headers, body, attempts: attempt + 1 };
        }
      } catch (error) {
        // Aborted because the audit stops, not because Tempo failed: no retry, no Tempo error.
        if (stopped?.aborted) throw new InterruptedError();
        if (error instanceof BodyTooLarge) {
          throw new TempoError("malformed", `response larger than ${this.#maxBody} bytes`, { attempts: attempt + 1 });
        }
        const name = (error as Error)?.name;
        if (name === "TimeoutError" || name === "AbortError") {
          lastFailure = new TempoError("timeout", `no complete answer within ${this.#timeoutMs} ms`, { attempts: attempt + 1 });
        } else {
          lastFailure = new TempoError("unreachable", this.redact(describeNetworkError(error)), { attempts: attempt + 1 });
        }
      }
      if (attempt + 1 >= this.#policy.maxAttempts) break;
      const delay = backoffDelay(attempt, this.#policy, retryAfterMs, this.#random);
      if (delay === undefined) {
        throw new TempoError(lastFailure.kind, `${lastFailure.message}; Retry-After asks for ${Math.round((retryAfterMs ?? 0) / 1000)} s, over the ${this.#policy.maxRetryAfterMs / 1000} s limit`, {
          ...(lastFailure.status !== undefined ? { status: lastFailure.status } : {}),
          attempts: attempt + 1,
        });
      }
      this.#onRetry?.({ path, attempt: attempt + 1, delayMs: delay, reason: lastFailure.message });
      try {
        await this.#sleep(delay);
      } catch (error) {
        if (stopped?.aborted) throw new InterruptedError();
        throw error;
      }
    }
    if (stopped?.aborted) throw new InterruptedError();
    const failure = lastFailure!;
    throw new TempoError(failure.kind, `${failure.message}, after ${failure.attempts} attempt(s)`, {
      ...(failure.status !== undefined ? { status: failure.status } : {}),
      attempts: failure.attempts,
    });
  }
}
