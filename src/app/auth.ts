// Bearer-token auth for the API. The token is a secret (API_TOKEN) and exists only at request
// time on Workers, so it is read per request. Comparison is constant-time: both sides are hashed
// to 32 bytes first (so length leaks nothing) and the digests are compared without early exit.
import type { MiddlewareHandler } from "hono";
import { apiError } from "./errors";

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

export async function tokensEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const BEARER_RE = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]+)[ \t]*$/i;

/** Rejects requests without `Authorization: Bearer <API_TOKEN>`; with no token configured, rejects all. */
export function bearerAuth(expectedToken: (c: Parameters<MiddlewareHandler>[0]) => string | undefined): MiddlewareHandler {
  return async (c, next) => {
    const expected = expectedToken(c);
    if (!expected) return apiError(503, "auth_not_configured", "the API token (secret API_TOKEN) is not configured; every API route is closed");
    const match = BEARER_RE.exec(c.req.header("authorization") ?? "");
    const challenge = { "WWW-Authenticate": 'Bearer realm="tracelint"' };
    if (!match) return apiError(401, "unauthorized", "missing bearer token (Authorization: Bearer <token>)", challenge);
    if (!(await tokensEqual(match[1]!, expected))) return apiError(401, "unauthorized", "invalid bearer token", { ...challenge, "WWW-Authenticate": 'Bearer realm="tracelint", error="invalid_token"' });
    await next();
  };
}
