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
  | "internal";

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string };
}

export function apiError(status: number, code: ApiErrorCode, message: string, headers: Record<string, string> = {}): Response {
  const body: ApiErrorBody = { error: { code, message } };
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json; charset=utf-8", ...headers } });
}
