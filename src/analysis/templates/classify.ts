// Decides which parts of a span name are values rather than names: identifiers (numbers, UUIDs,
// ULIDs, long hex, base64-ish tokens), emails, IP addresses, dates and query-string values. Each
// becomes a placeholder, so a template never carries the raw value.

export const Placeholder = {
  ID: "{id}",
  EMAIL: "{email}",
  IP: "{ip}",
  DATE: "{date}",
  VALUE: "{value}",
  QUERY: "{query}",
  /** A position where clustering saw different data-like tokens. */
  ANY: "{*}",
  /** A part every name shares that holds a sensitive value (see redact.ts); only in quoted templates. */
  REDACTED: "{redacted}",
} as const;

/** `{name}` tokens: our placeholders, and templates the producer already wrote (`{userId}`). */
export const PLACEHOLDER_RE = /^\{[A-Za-z_*][\w.*-]*\}$/;

export function isPlaceholder(token: string): boolean {
  return PLACEHOLDER_RE.test(token);
}

const NUMBER_RE = /^[-+]?\d+(?:[.,]\d+)?$/;
const HEX_RE = /^(?:[0-9a-f]{8,}|[0-9A-F]{8,})$/;
const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const UUID_COMPACT_RE = /^[0-9a-fA-F]{32}$/;
const BASE64ISH_RE = /^[A-Za-z0-9+/_-]{10,}={0,2}$/;

function digitCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/**
 * A version marker inside a word: `v`/`V` and 1–3 digits (optionally `alpha`/`beta`/`rc` and
 * digits), not after a digit, and ending the token or followed by an upper-case letter
 * (`GetUserV2`, `ValidateV2Request`, `apiv3`, `v1beta1`).
 */
const VERSION_RE = /(?<![0-9])[vV]\d{1,3}(?:(?:alpha|beta|rc)\d{0,3})?(?=$|[A-Z])/g;

/**
 * A word whose only digits are version markers (`GetUserV2`, `SearchUsersV3`, `ValidateV2Request`):
 * a name, not a value. IDs keep digits elsewhere (`user42x9k`, `a1b2c3d4`).
 */
export function isVersionedWord(token: string): boolean {
  if (!/[vV]\d/.test(token)) return false;
  const rest = token.replace(VERSION_RE, "");
  return rest.length < token.length && /^[A-Za-z]*$/.test(rest);
}

/**
 * Base64/base62 identifiers: padded, or dense with digits, or long and mixed-case with a digit.
 * CamelCase words (`ProcessOrderBatch`, `ValidateV2Request`, `SearchProductsByCategoryV2`) stay literal.
 */
function isBase64ish(token: string): boolean {
  if (!BASE64ISH_RE.test(token)) return false;
  if (isVersionedWord(token)) return false;
  // `user-12345`, `order_7_items`: words and numbers joined; the number is the value, not the whole.
  if (token.split(/[-_]/).every((part) => /^(?:[A-Za-z]*|\d*)$/.test(part)) && /[-_]/.test(token)) return false;
  const body = token.replace(/=+$/, "");
  const digits = digitCount(body);
  const letters = (body.match(/[A-Za-z]/g) ?? []).length;
  if (letters === 0) return digits > 0;
  if (token.endsWith("=") && body.length >= 8) return true;
  if (digits >= 2 && digits / body.length >= 0.2) return true;
  return body.length >= 20 && digits >= 1 && /[a-z]/.test(body) && /[A-Z]/.test(body);
}

/**
 * Placeholder for part of a segment (`user-12345`, `0:`). A single digit joined to a word
 * (`utf-8`, `sha-1`, `ipv-4`) is part of that word's name and stays literal.
 */
export function classifyPart(part: string, segment: string): string | undefined {
  if (/^\d$/.test(part) && /[A-Za-z]/.test(segment)) return undefined;
  return classifyToken(part);
}

/** Placeholder for a whole token, or undefined when the token reads as part of a name. */
export function classifyToken(token: string): string | undefined {
  if (token === "" || isPlaceholder(token)) return undefined;
  if (NUMBER_RE.test(token)) return Placeholder.ID;
  if (ULID_RE.test(token) && digitCount(token) > 0) return Placeholder.ID;
  if (UUID_COMPACT_RE.test(token)) return Placeholder.ID;
  if (HEX_RE.test(token) && digitCount(token) > 0) return Placeholder.ID;
  if (isBase64ish(token)) return Placeholder.ID;
  return undefined;
}

/**
 * Weaker evidence, used only by clustering: a token mixing letters and digits (`job7a`, `ord42x`)
 * may be data. Short ones (`v1`, `s3`, `ec2`) are too often real names to merge, and so are words
 * whose only digits are a version (`GetUserV2`, `ValidateV2Request`).
 */
export function isDataLike(token: string): boolean {
  if (isPlaceholder(token)) return true;
  if (token.length < 4) return false;
  return /\d/.test(token) && /[A-Za-z]/.test(token) && !isVersionedWord(token);
}

// Structures that span separators are replaced before tokenising, most specific first.
const UUID_RE = /\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/g;
// Starts only where a local part can start: without the look-behind, a long run of name characters
// with no `@` is rescanned from every position (quadratic: a 100 KB span name took 10 s).
const EMAIL_RE = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/**
 * `name@2x.png`-style asset files look like e-mails; a "domain" ending in one of these extensions is
 * a file name (the same list as the PII e-mail detector, src/pii/detectors.ts).
 */
const FILE_EXTENSIONS = new Set([
  "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "heic", "heif", "bmp", "tif", "tiff", "ico",
  "css", "js", "mjs", "cjs", "ts", "map", "json", "html", "txt",
]);

function maskEmail(match: string): string {
  return FILE_EXTENSIONS.has(match.slice(match.lastIndexOf(".") + 1).toLowerCase()) ? match : Placeholder.EMAIL;
}
const DATE_RE = /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b|\b\d{2}:\d{2}:\d{2}(?:\.\d+)?\b/g;
const IPV4_RE = /\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?::\d{1,5})?\b/g;
const IPV6_RE = /(?<![\w:])(?:[0-9a-fA-F]{1,4}:){1,7}(?::|(?::[0-9a-fA-F]{1,4}){1,7}|[0-9a-fA-F]{1,4})(?![\w:])/g;
// `?k=v&…` attached to a word (a URL), not SQL's bare `?` parameter markers.
const QUERY_RE = /(?<=[^\s?])\?([^\s#?]*=[^\s#]*)/g;
const QUERY_KEY_RE = /^[A-Za-z_][\w.[\]-]{0,40}$/;

function maskQuery(query: string): string {
  const pairs = query.split("&");
  const masked: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq === -1 ? pair : pair.slice(0, eq);
    if (!QUERY_KEY_RE.test(key)) return `?${Placeholder.QUERY}`;
    masked.push(eq === -1 ? key : `${key}=${Placeholder.VALUE}`);
  }
  return `?${masked.join("&")}`;
}

/** Replaces multi-token structures (query values, UUIDs, emails, dates, IPs) with placeholders. */
export function maskStructures(name: string): string {
  return name
    .replace(QUERY_RE, (_m, query: string) => maskQuery(query))
    .replace(UUID_RE, Placeholder.ID)
    .replace(EMAIL_RE, maskEmail)
    .replace(DATE_RE, Placeholder.DATE)
    .replace(IPV4_RE, Placeholder.IP)
    .replace(IPV6_RE, (m) => (m.includes("::") || m.split(":").length === 8) && /\d/.test(m) ? Placeholder.IP : m);
}
