// Credentials for Tempo (which has no auth of its own, so whatever proxy or gateway fronts it:
// basic auth for Grafana Cloud, bearer tokens, Cloudflare Access service-token headers) and the
// tenant header. Credentials come from the environment, never argv, and every message that could
// echo them is passed through `redact`.

export interface TempoAuth {
  /** `Authorization: Basic …` (Grafana Cloud: instance ID + access-policy token). */
  basic?: { user: string; password: string };
  /** `Authorization: Bearer …`. */
  bearerToken?: string;
  /** Extra headers sent on every request (e.g. `CF-Access-Client-Id` / `CF-Access-Client-Secret`). */
  headers?: Record<string, string>;
}

export class AuthConfigError extends Error {
  override name = "AuthConfigError";
}

/** Environment variables read by `authFromEnv`, for docs and usage text. */
export const AUTH_ENV_VARS = {
  token: "TEMPO_TOKEN",
  user: "TEMPO_USER",
  password: "TEMPO_PASSWORD",
  headers: "TEMPO_HEADERS",
} as const;

const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the client sets itself; overriding them from TEMPO_HEADERS would break requests. */
const RESERVED_HEADERS = new Set(["accept", "x-scope-orgid", "host", "content-length"]);

/**
 * Parses `TEMPO_HEADERS`: `Name: value` pairs separated by newlines or `;`
 * (e.g. `CF-Access-Client-Id: abc; CF-Access-Client-Secret: xyz`). Errors never quote values.
 */
export function parseHeaderList(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const raw of text.split(/[\n;]/)) {
    const item = raw.trim();
    if (item === "") continue;
    const colon = item.indexOf(":");
    const name = colon > 0 ? item.slice(0, colon).trim() : "";
    if (!HEADER_NAME_RE.test(name)) {
      throw new AuthConfigError(`${AUTH_ENV_VARS.headers}: each entry must be "Name: value" (an entry has no valid header name)`);
    }
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new AuthConfigError(`${AUTH_ENV_VARS.headers}: ${name} is set by tracelint itself (use --tenant for X-Scope-OrgID)`);
    }
    headers[name] = item.slice(colon + 1).trim();
  }
  return headers;
}

/** Reads TEMPO_TOKEN, TEMPO_USER + TEMPO_PASSWORD and TEMPO_HEADERS. */
export function authFromEnv(env: Record<string, string | undefined>): TempoAuth {
  const auth: TempoAuth = {};
  const token = env[AUTH_ENV_VARS.token];
  const user = env[AUTH_ENV_VARS.user];
  const password = env[AUTH_ENV_VARS.password];
  if (token && (user || password)) {
    throw new AuthConfigError(`set either ${AUTH_ENV_VARS.token} or ${AUTH_ENV_VARS.user}/${AUTH_ENV_VARS.password}, not both`);
  }
  if (token) auth.bearerToken = token;
  if (user || password) {
    if (!user || !password) throw new AuthConfigError(`${AUTH_ENV_VARS.user} and ${AUTH_ENV_VARS.password} must be set together`);
    auth.basic = { user, password };
  }
  const headers = env[AUTH_ENV_VARS.headers];
  if (headers) {
    auth.headers = parseHeaderList(headers);
    if ((auth.basic || auth.bearerToken) && Object.keys(auth.headers).some((h) => h.toLowerCase() === "authorization")) {
      throw new AuthConfigError(`${AUTH_ENV_VARS.headers} sets Authorization while ${AUTH_ENV_VARS.token} or ${AUTH_ENV_VARS.user} does too`);
    }
  }
  return auth;
}

function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Request headers carrying the credentials and tenant. */
export function authHeaders(auth: TempoAuth, tenant: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { ...(auth.headers ?? {}) };
  if (auth.basic) headers.Authorization = `Basic ${base64Utf8(`${auth.basic.user}:${auth.basic.password}`)}`;
  if (auth.bearerToken) headers.Authorization = `Bearer ${auth.bearerToken}`;
  if (tenant !== undefined && tenant !== "") headers["X-Scope-OrgID"] = tenant;
  return headers;
}

/** Every secret string that must never be printed (raw values and their encoded forms). */
export function secretsOf(auth: TempoAuth): string[] {
  const secrets: string[] = [];
  if (auth.bearerToken) secrets.push(auth.bearerToken);
  if (auth.basic) {
    secrets.push(auth.basic.password, base64Utf8(`${auth.basic.user}:${auth.basic.password}`));
  }
  for (const value of Object.values(auth.headers ?? {})) secrets.push(value);
  // Longest first, so a secret that contains another is replaced whole.
  return secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/** Replaces any secret occurring in `text` with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("***");
  return out;
}

/** Tenant IDs as Tempo (dskit) accepts them: `a|b` queries several tenants. */
export function validateTenant(tenant: string): void {
  for (const part of tenant.split("|")) {
    if (part === "" || part === "." || part === ".." || part.length > 150 || !/^[A-Za-z0-9!\-_.*'()]+$/.test(part)) {
      throw new AuthConfigError(
        `--tenant ${JSON.stringify(tenant)} is not a valid tenant ID (letters, digits and !-_.*'() only, at most 150 characters; | separates tenants)`,
      );
    }
  }
}
