// Errors from talking to Tempo. Each carries a kind the CLI turns into one clear line, and a
// message that never contains credentials (bodies are redacted and truncated before use).
import { redactText } from "../../pii/redact";
import { showControl } from "../../util/control";

export type TempoErrorKind =
  /** DNS, refused connection, TLS, reset — no HTTP answer. */
  | "unreachable"
  /** The per-request timeout elapsed. */
  | "timeout"
  /** 401/403: credentials or tenant rejected. */
  | "auth"
  /** 400: Tempo rejected the request (bad TraceQL, window too long, …). */
  | "bad-request"
  /** Any other unexpected HTTP status (after retries, for retryable ones). */
  | "http"
  /** A 2xx body that is not what the endpoint returns (HTML login page, truncated JSON). */
  | "malformed";

export class TempoError extends Error {
  override name = "TempoError";
  readonly kind: TempoErrorKind;
  readonly status: number | undefined;
  /** Attempts made before giving up. */
  readonly attempts: number;

  constructor(kind: TempoErrorKind, message: string, options: { status?: number; attempts?: number } = {}) {
    super(message);
    this.kind = kind;
    this.status = options.status;
    this.attempts = options.attempts ?? 1;
  }
}

/**
 * The audit was told to stop (Ctrl-C, SIGTERM): requests in flight are aborted and none is
 * retried. Not a TempoError: it says nothing about Tempo, and callers that stop on Tempo's
 * problems must not report it as one.
 */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  constructor(message = "interrupted") {
    super(message);
  }
}

/** The first line of a plain-text error body, bounded, for messages. */
export function bodySnippet(body: string, max = 300): string {
  const firstLine = body.replace(/\r/g, "").split("\n").find((l) => l.trim() !== "") ?? "";
  const trimmed = firstLine.trim();
  if (/^<(!doctype|html)/i.test(trimmed)) return "(an HTML page, not a Tempo response)";
  // A proxy's error page may echo the request or user data: quoted masked, without control characters.
  return showControl(redactText(trimmed.length > max ? `${trimmed.slice(0, max)}…` : trimmed));
}

/** Describes a fetch() rejection (Node wraps the socket error in `cause`). */
export function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "connection reset";
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return "connection timed out";
    case "CERT_HAS_EXPIRED":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `TLS certificate problem (${code})`;
    default:
      break;
  }
  // workerd's own words end with a full stop ("Network connection lost."): the caller adds more.
  const message = (cause?.message ?? (error as Error)?.message ?? String(error)).trim().replace(/\.$/, "");
  return code ? `${code}: ${message}` : message;
}
