// Every error the API returns has one shape: `{ "error": { "code", "message" } }`, with a stable
// machine-readable code. Messages never contain tokens or trace data.

export type ApiErrorCode =
  | "unauthorized"
  | "auth_not_configured"
  | "not_found"
  | "unknown_audit"
  | "report_not_ready"
  | "bad_request"
  | "payload_too_large"
  | "config_invalid"
  | "method_not_allowed"
  | "audit_running"
  | "store_unavailable"
  | "queue_unavailable"
  | "internal";

export interface ApiErrorBody {
  /** `audit_running` also names the run going on: `runId` and its `status` URL. */
  error: { code: ApiErrorCode; message: string; runId?: string; status?: string };
}

export function apiError(status: number, code: ApiErrorCode, message: string, headers: Record<string, string> = {}, details: { runId?: string; status?: string } = {}): Response {
  const body: ApiErrorBody = { error: { code, message, ...details } };
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json; charset=utf-8", ...headers } });
}

/**
 * Thrown by `AppServices.startAudit` when the audit already has a run going on (one at a time per
 * audit): the API answers 409 `audit_running` with that run's ID.
 */
export class AuditRunningError extends Error {
  override name = "AuditRunningError";
  constructor(
    readonly audit: string,
    readonly runId: string,
  ) {
    super(`audit ${audit} is already running: run ${runId} (follow it at /api/audits/${runId}); start another once it has finished`);
  }
}

/**
 * Thrown by `AppServices.startAudit` when the report store cannot take the run record (a volume
 * that is read-only or full, a bucket that refuses the credentials): 503 `store_unavailable` with
 * the store's reason instead of a bare `internal`.
 */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

/**
 * Thrown by the Worker's `startAudit` when its queue refuses the start message: nothing would ever
 * run the audit, so the run is recorded as failed and the caller gets 503 `queue_unavailable`.
 */
export class QueueUnavailableError extends Error {
  override name = "QueueUnavailableError";
}
