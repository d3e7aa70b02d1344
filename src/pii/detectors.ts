// The built-in detectors: a pattern that finds candidates and a validator that rejects look-alikes.
// Order is specificity: when two matches overlap, the earlier detector wins
// (`https://user:pass@host` is url-credentials, not an email; `Bearer eyJ…` is a bearer token).
import { basicCredentialsValid, ibanValid, cardNumberValid, ipv4Valid, ipv6Valid, jwtValid, ssnValid } from "./validators";
import * as mask from "./mask";

export const PII_CATEGORIES = [
  "url-credentials",
  "bearer-token",
  "basic-auth",
  "jwt",
  "api-key",
  "secret-param",
  "iban",
  "credit-card",
  "us-ssn",
  "email",
  "phone",
  "ip-address",
] as const;
export type BuiltinCategory = (typeof PII_CATEGORIES)[number];
/** Recognised by the attribute key alone (`authorization`, `password`, …). */
export const SECRET_KEY_CATEGORY = "secret-key";

export interface Detector {
  /** Category reported for a match (a built-in category or a configured detector's name). */
  category: string;
  /** Global regex finding candidates; group 0 is the sensitive text. */
  pattern: RegExp;
  /** Cheap pre-check: when the text does not contain this, the pattern cannot match (speed only). */
  hint?: string | RegExp;
  /**
   * Cheaper pre-check on the text's character profile (one pass per text, shared by every
   * detector): a match can only be accepted when the profile meets one of these (speed only).
   * Data rather than a function, so that findPii can evaluate them once per profile signature
   * (see profileSignature) instead of per detector per text. Each one restates what the pattern
   * and `accept` demand literally;
   * test/pii-prefilter.test.ts checks that scans with and without these give the same matches.
   */
  requires?: readonly Requirement[];
  /** Returns the accepted text (possibly shortened), or undefined to reject the candidate. */
  accept?(match: RegExpExecArray): string | undefined;
  mask(value: string): string;
}

/** Character classes a text profile records, as bits of `TextProfile.seen`. */
export const CharClass = {
  DIGIT: 1,
  UPPER: 2,
  UNDERSCORE: 4,
  AT: 8,
  EQUALS: 16,
  COLON: 32,
  PLUS: 64,
  DOT: 128,
  DASH: 256,
  /** `b` or `B` (in "bearer"). */
  LETTER_B: 512,
  /** `r` or `R` (in "bearer"). */
  LETTER_R: 1024,
  /** A lower-case `x` (Slack's `xox…-` tokens). */
  LOWER_X: 2048,
} as const;

/** What one pass over a text finds: its digits, upper-case letters and the classes it contains. */
export interface TextProfile {
  digits: number;
  /** ASCII upper-case letters. */
  upper: number;
  /** CharClass bits of every character seen. */
  seen: number;
}

/** One way a text can hold an accepted match: all these classes, at least this many digits and capitals. */
export interface Requirement {
  classes: number;
  digits: number;
  upper: number;
}

/** Counts above these tell no requirement apart, so a profile's signature caps them here. */
const DIGITS_CAP = 15;
const UPPER_CAP = 3;

function need(requirement: Partial<Requirement>): Requirement {
  const r = { classes: requirement.classes ?? 0, digits: requirement.digits ?? 0, upper: requirement.upper ?? 0 };
  if (r.digits > DIGITS_CAP || r.upper > UPPER_CAP) throw new Error("requirement beyond the profile signature's caps");
  return r;
}

/**
 * A small integer that determines `meetsAny` for every requirement: the class bits (12), the
 * digits capped at 15 (4 bits) and the capitals capped at 3 (2 bits). findPii keys its
 * per-profile detector lists on it.
 */
export function profileSignature(profile: TextProfile): number {
  return profile.seen | (Math.min(profile.digits, DIGITS_CAP) << 12) | (Math.min(profile.upper, UPPER_CAP) << 16);
}

/** True when the profile meets at least one requirement. */
export function meetsAny(profile: TextProfile, requirements: readonly Requirement[]): boolean {
  for (const r of requirements) {
    if ((profile.seen & r.classes) === r.classes && profile.digits >= r.digits && profile.upper >= r.upper) return true;
  }
  return false;
}

export function profileOf(text: string): TextProfile {
  return fillProfile(text, { digits: 0, upper: 0, seen: 0 });
}

// Character classes, one table look-up per character: a chain of range tests mispredicts on mixed
// text (IDs, paths with numbers) and measured about 1.6× slower.
/** Class bits of code units 0-127; codes above are clamped to 127 (DEL), which has none. */
const CHAR_CLASS = new Uint16Array(128);
for (let c = 48; c <= 57; c++) CHAR_CLASS[c] = CharClass.DIGIT;
for (let c = 65; c <= 90; c++) CHAR_CLASS[c] = CharClass.UPPER;
CHAR_CLASS[95] = CharClass.UNDERSCORE;
CHAR_CLASS[64] = CharClass.AT;
CHAR_CLASS[61] = CharClass.EQUALS;
CHAR_CLASS[58] = CharClass.COLON;
CHAR_CLASS[43] = CharClass.PLUS;
CHAR_CLASS[46] = CharClass.DOT;
CHAR_CLASS[45] = CharClass.DASH;
CHAR_CLASS[66] = CharClass.UPPER | CharClass.LETTER_B;
CHAR_CLASS[98] = CharClass.LETTER_B;
CHAR_CLASS[82] = CharClass.UPPER | CharClass.LETTER_R;
CHAR_CLASS[114] = CharClass.LETTER_R;
CHAR_CLASS[120] = CharClass.LOWER_X;

/** `profileOf` into an existing object (findPii reuses one: no allocation per scanned text). */
export function fillProfile(text: string, p: TextProfile): TextProfile {
  let digits = 0;
  let upper = 0;
  let seen = 0;
  for (let i = 0; i < text.length; i++) {
    const cls = CHAR_CLASS[Math.min(text.charCodeAt(i), 127)]!;
    digits += cls & CharClass.DIGIT;
    upper += (cls & CharClass.UPPER) >> 1;
    seen |= cls;
  }
  p.digits = digits;
  p.upper = upper;
  p.seen = seen;
  return p;
}

const { AT, COLON, DASH, DOT, EQUALS, LETTER_B, LETTER_R, LOWER_X, PLUS, UNDERSCORE } = CharClass;

const FILE_EXTENSIONS = new Set([
  "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "heic", "heif", "bmp", "tif", "tiff", "ico",
  "css", "js", "mjs", "cjs", "ts", "map", "json", "html", "txt",
]);
/**
 * Domains that exist only inside a machine or network (`user@localhost`,
 * `ec2-user@ip-10-0-1-20.…internal`), and machine identities written as addresses: Google Cloud
 * service accounts (`orders-sa@acme-prod.iam.gserviceaccount.com`) name a workload, not a person.
 */
const NON_MAIL_DOMAIN = /\.(?:localdomain|localhost|local|internal|svc|lan|home\.arpa)$|^localhost$|(?:^|\.)gserviceaccount\.com$/i;
/** Mailboxes of systems, not people (`noreply@shop.example`, `postmaster@…`). */
const SYSTEM_MAILBOX = /^(?:no-?reply|do-?not-?reply|postmaster|mailer-daemon|root|bounces?)(?:[+.-][\w.-]*)?$/i;
const PLACEHOLDER_VALUE = /^(?:\?|\$\d+|:\w+|@\w+|%s|%\(\w+\)s|\{[^}]*\}|<[^>]*>|\*+|x+|null|none|undefined|\[?redacted\]?|\[?filtered\]?)$/i;

/**
 * Parameter names whose literal value is a secret (`password=…`, `"password": "…"`); letters, `_`
 * and `-` only, so they go into a regex as they are (here and in the Collector pattern).
 */
export const SECRET_PARAM_NAMES: readonly string[] = [
  "password", "passwd", "pwd", "secret", "client_secret", "token", "access_token", "refresh_token", "id_token",
  "auth_token", "session_token", "api_key", "apikey", "api-key", "sig",
  // The signatures of presigned URLs (S3, GCS): whoever has the URL has the object.
  "x-amz-signature", "x-amz-security-token", "x-goog-signature",
];
const SECRET_PARAMS = SECRET_PARAM_NAMES.join("|");

function same(match: RegExpExecArray): string {
  return match[0];
}

export const BUILTIN_DETECTORS: readonly Detector[] = [
  {
    category: "url-credentials",
    hint: "://",
    requires: [need({ classes: COLON | AT })],
    // scheme://user:password@host — a non-empty password is required (`ssh://git@host` is fine).
    // `redis://:password@host` (a password and no user name) counts too.
    pattern: /\b[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s/?#@:]*:[^\s/?#@]+@[^\s/?#@]+/g,
    accept: same,
    mask: mask.maskUrlCredentials,
  },
  {
    category: "bearer-token",
    hint: /bearer/i,
    // The accepted token has a digit; "bearer" has a b and an r (either case).
    requires: [need({ classes: LETTER_B | LETTER_R, digits: 1 })],
    pattern: /\bBearer\s+[A-Za-z0-9\-._~+/]{16,}=*/gi,
    // Prose such as "Bearer authentication required" has no digits.
    accept: (m) => (/\d/.test(m[0]) ? m[0] : undefined),
    mask: mask.maskBearer,
  },
  {
    category: "basic-auth",
    hint: /basic/i,
    requires: [need({ classes: LETTER_B })],
    // `Basic <base64 of user:password>` copied from a header into a message or a logged request.
    pattern: /\bBasic\s+([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])/gi,
    accept: (m) => (basicCredentialsValid(m[1]!) ? m[0] : undefined),
    mask: mask.maskBasic,
  },
  {
    category: "jwt",
    hint: "eyJ",
    requires: [need({ classes: DOT })],
    pattern: /(?<![\w-])eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){2}(?:(?:\.[A-Za-z0-9_-]*){2})?(?![\w-])/g,
    accept: (m) => (jwtValid(m[0]) ? m[0] : undefined),
    mask: mask.maskJwt,
  },
  {
    category: "api-key",
    hint: /AKIA|ASIA|gh[pousr]_|github_pat_|xox|_live_|AIza|sk-/,
    // Every alternative has an upper-case letter (AKIA, ASIA, AIza; accepted `sk-` keys too), an
    // underscore (`ghp_`, `github_pat_`, `sk_live_`) or `x` and a dash (`xoxb-`).
    requires: [need({ upper: 1 }), need({ classes: UNDERSCORE }), need({ classes: DASH | LOWER_X })],
    pattern:
      /(?<![\w-])(?:(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,}|xox[abporse]-[A-Za-z0-9-]{10,}|[sr]k_live_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35}|sk-(?:proj-)?[A-Za-z0-9_-]{20,})(?![\w-])/g,
    // OpenAI-style `sk-` keys mix digits and letters; `sk-learn-…` package names do not.
    accept: (m) => (!m[0].startsWith("sk-") || (/\d/.test(m[0]) && /[A-Z]/.test(m[0])) ? m[0] : undefined),
    mask: mask.maskApiKey,
  },
  {
    category: "secret-param",
    // `=`, or a JSON key's closing quote and colon (not every URL's `://`).
    hint: /=|"\s*:/,
    requires: [need({ classes: EQUALS }), need({ classes: COLON })],
    // password=… / token=… in URLs, form bodies, connection strings and SQL literals, and
    // "password": "…" in logged JSON bodies.
    // The same names in both forms.
    pattern: new RegExp(`(?<![\\w.-])(?:${SECRET_PARAMS})\\s*=\\s*(?:'[^']*'|"[^"]*"|[^\\s&;,'")]+)|"(?:${SECRET_PARAMS})"\\s*:\\s*"[^"]*"`, "gi"),
    accept: (m) => {
      const json = m[0].startsWith('"');
      const raw = json ? m[0].slice(m[0].indexOf(":") + 1) : m[0].slice(m[0].indexOf("=") + 1);
      const value = raw.trim().replace(/^(['"])(.*)\1$/, "$2");
      // Bind parameters (`password = ?`, `$1`, `:pw`) and already-masked values leak nothing.
      return value === "" || PLACEHOLDER_VALUE.test(value) ? undefined : m[0];
    },
    mask: mask.maskSecretParam,
  },
  {
    category: "iban",
    hint: /[A-Z]{2}\d{2}/,
    requires: [need({ upper: 2, digits: 2 })],
    pattern: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g,
    accept: acceptIban,
    mask: mask.maskIban,
  },
  {
    category: "credit-card",
    hint: /\d[ -]?\d[ -]?\d[ -]?\d/,
    requires: [need({ digits: 13 })],
    // Unbroken, or grouped as cards are printed, with one separator throughout (the back-reference):
    // groups of four with a shorter last one (4-4-4-4, 4-4-4-1, 4-4-4-4-3) or Amex/Diners 4-6-5/4-6-4.
    // Any other grouping is an ID: the first three groups of a UUID (8-4-4) are 16 digits too.
    // Not part of a longer token: no word character, `.`, `+` or `-` before it, no word character or
    // `-` and a hex digit (the rest of a UUID or hex ID) after it. A full stop ends a sentence
    // ("card 4111….") unless a digit follows (a decimal number).
    pattern: /(?<![\w.+-])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1(?:\d{4}\1\d{1,3}|\d{1,4})|\d{4}([ -])\d{6}\2\d{4,5})(?![\w]|\.\d|-[0-9A-Fa-f])/g,
    accept: (m) => (cardNumberValid(m[0].replace(/\D/g, "")) ? m[0] : undefined),
    mask: mask.maskCard,
  },
  {
    category: "us-ssn",
    hint: /\d-\d/,
    requires: [need({ classes: DASH, digits: 9 })],
    pattern: /(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])/g,
    accept: (m) => (ssnValid(m[1]!, m[2]!, m[3]!) ? m[0] : undefined),
    mask: mask.maskSsn,
  },
  {
    category: "email",
    hint: "@",
    requires: [need({ classes: AT | DOT })],
    pattern: /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])/g,
    // `icon@2x.png` is a file name; `ssh://git@host` and `git@host:org/repo` are URL user names.
    // Machine identities and system mailboxes are not personal data either.
    accept: (m) => {
      if (FILE_EXTENSIONS.has(m[0].slice(m[0].lastIndexOf(".") + 1).toLowerCase())) return undefined;
      if (m[0].startsWith("git@") || m.input.slice(Math.max(0, m.index - 3), m.index) === "://") return undefined;
      const at = m[0].lastIndexOf("@");
      if (NON_MAIL_DOMAIN.test(m[0].slice(at + 1)) || SYSTEM_MAILBOX.test(m[0].slice(0, at))) return undefined;
      return m[0];
    },
    mask: mask.maskEmail,
  },
  {
    // The same address URL-encoded (`?email=jane.doe%40gmail.com`, `/users/jane.doe%40gmail.com`):
    // the `@` is `%40`, and the local part may hold other escapes (`jane%2Bnews%40gmail.com`, a
    // plus-addressed mailbox). Decoded, it must pass the plain detector's checks.
    category: "email",
    hint: "%40",
    requires: [need({ classes: DOT, digits: 2 })],
    // An escape in the local part is `%` and two hex digits, never `%40` (which ends it): the two
    // alternatives start with different characters, so the local part is read one way only.
    pattern: /(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._+-]|%(?!40)[0-9A-F]{2}){0,63}%40(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])/gi,
    accept: (m) => {
      const decoded = percentDecode(m[0]);
      const at = decoded.lastIndexOf("@");
      if (FILE_EXTENSIONS.has(decoded.slice(decoded.lastIndexOf(".") + 1).toLowerCase())) return undefined;
      if (NON_MAIL_DOMAIN.test(decoded.slice(at + 1)) || SYSTEM_MAILBOX.test(decoded.slice(0, at))) return undefined;
      return m[0];
    },
    mask: (value) => mask.maskEmail(percentDecode(value)),
  },
  {
    category: "phone",
    hint: "+",
    requires: [need({ classes: PLUS, digits: 8 })],
    // E.164 (`+14155552671`) or international format (`+44 20 7946 0958`, `+1 (415) 555-2671`);
    // a leading `+` and country code are required, so bare digit runs never match.
    // Each digit group is taken whole (a lookahead capture, matched back: an atomic group), so a
    // long digit run cannot be split every possible way before the match fails (ReDoS).
    pattern: /(?<![\w+])\+[1-9](?:[ .-]?\(?(?=(\d{1,4}))\1\)?){2,8}(?![\w])/g,
    accept: (m) => {
      const end = m.index + m[0].length;
      return phoneAccepted(m[0], m.input.slice(end, end + 3)) ? m[0] : undefined;
    },
    mask: mask.maskPhone,
  },
  {
    // The same number URL-encoded (`?phone=%2B14155552671`, `send sms to %2B4915112345678`): the
    // `+` is `%2B`; spaces may be `%20` or `+` (form encoding), parentheses `%28`/`%29`. Decoded,
    // it must pass the plain detector's checks.
    category: "phone",
    hint: /%2b/i,
    // The decoded number's 8 digits and the `2` of `%2B`.
    requires: [need({ digits: 9 })],
    // After a non-word character other than `%` and `+`, or after another escape (`call%20%2B1…`).
    // Digit groups are atomic, as in the plain pattern.
    pattern: /(?<=^|[^\w%+]|%[0-9A-Fa-f]{2})%2[Bb][1-9](?:(?:[ .-]|%20|\+)?(?:\(|%28)?(?=(\d{1,4}))\1(?:\)|%29)?){2,8}(?![\w])/g,
    accept: (m) => {
      const end = m.index + m[0].length;
      return phoneAccepted(decodePhone(m[0]), percentDecode(m.input.slice(end, end + 9))) ? m[0] : undefined;
    },
    mask: (value) => mask.maskPhone(decodePhone(value)),
  },
  {
    category: "ip-address",
    hint: /\d\.\d|:/,
    // IPv6 needs a colon; IPv4 four digits and dots.
    requires: [need({ classes: COLON }), need({ classes: DOT, digits: 4 })],
    pattern: /(?<![\w.:-])(?:(?:\d{1,3}\.){3}\d{1,3}|(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?)(?![\w-]|\.\d|:[0-9A-Fa-f]*:)/g,
    accept: acceptIp,
    mask: mask.maskIp,
  },
];

function acceptIban(m: RegExpExecArray): string | undefined {
  // The spaced form may run into a following word ("BE71 0961 2345 6769 TEST"): then cut at the
  // country's length, but only where a space separates groups. The match itself ends at a token
  // boundary; cutting anywhere else would read the head of a longer token (a 32-character hex ID
  // `DE73…`) as an IBAN.
  const text = m[0];
  for (let end = text.length; end >= 15; end--) {
    if (end < text.length && text[end] !== " ") continue;
    const candidate = text.slice(0, end);
    if (ibanValid(candidate.replace(/ /g, ""))) return candidate;
  }
  return undefined;
}

/** `%XX` escapes of ASCII characters decoded (others, and stray `%`, kept as they are). */
function percentDecode(text: string): string {
  return text.includes("%") ? text.replace(/%([0-7][0-9A-Fa-f])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : text;
}

/** A `%2B…` phone match as the number it encodes: `+`, with `+` (a form-encoded space) read as a space. */
function decodePhone(raw: string): string {
  return `+${percentDecode(raw.slice(3).replace(/\+/g, " "))}`;
}

/**
 * A phone number written with dots: dots between all its groups (`+1.415.555.2671`,
 * `+33.1.23.45.67.89`, also after a space: `+44 20.7946.0958`), at least two of them. One dot is
 * a decimal point.
 */
const DOTTED_PHONE = /^\+\d{1,4}[ .]\d{1,8}(?:\.\d{1,8})+$/;
/**
 * What after a number shows it goes on as a number, not a phone: a decimal or a list of numbers
 * (`+40.712776,-74.005974`, `+12345678,90`), a percentage (`+12.5%`, not an escape such as `%20`),
 * a fraction (`+12345678/9`).
 */
const NUMBER_CONTINUES = /^(?:,-?\d|%(?![0-9A-Fa-f]{2})|\/\d|\.\d)/;

/**
 * Whether a phone-pattern match (`number`, decoded) is a phone number, given the text just after it.
 * Signed numbers look the same: a single `.` is a decimal point (`+12345.678`, `+1714560000.123`,
 * `+40.712776`; so the EPP form `+1.4155552671` is not read as a phone), as is a `.` next to other
 * separators (ISO 6709 `+40.6894-074.0447/`); and six trailing zeros make a signed amount
 * (`+125000000`), not a subscriber number.
 */
function phoneAccepted(number: string, after: string): boolean {
  const digits = number.replace(/\D/g, "");
  if (digits.length < 8 || digits.length > 15 || digits.endsWith("000000")) return false;
  if (number.includes(".") && !DOTTED_PHONE.test(number)) return false;
  return !NUMBER_CONTINUES.test(after);
}

/** Text just before a four-part number that makes it a version: `Version=13.0.0.0`, `Chrome/120.0.0.0`, `v1.2.3.4`. */
const VERSION_BEFORE = /(?:version\s*[=:]?\s*|[A-Za-z]\/|\bv)$/i;
/** The IPv6 unspecified and loopback addresses, written out in full (`0:0:0:0:0:0:0:1`). */
const IPV6_ZERO_OR_LOOPBACK = /^(?:0{1,4}:){7}0{0,3}[01]$/;

/**
 * Whether the match at `start` is the host of a URL (`http://10.0.3.7:8080/…`,
 * `http://[2001:db8::7]/…`): a server's address. Findings skip it; redaction still masks it.
 */
export function isUrlHost(text: string, start: number): boolean {
  const before = text.slice(Math.max(0, start - 4), start);
  return before.endsWith("://") || before === "://[";
}

function acceptIp(m: RegExpExecArray): string | undefined {
  const text = m[0];
  if (!text.includes(":")) {
    if (!ipv4Valid(text)) return undefined;
    // Unspecified, loopback and broadcast addresses identify nobody; `x.0.0.0` is a network or a
    // version (`Chrome/120.0.0.0`), never one host.
    if (text.startsWith("127.") || text === "255.255.255.255" || text.endsWith(".0.0.0")) return undefined;
    return VERSION_BEFORE.test(m.input.slice(Math.max(0, m.index - 10), m.index)) ? undefined : text;
  }
  if (!ipv6Valid(text) || text === "::" || text === "::1" || IPV6_ZERO_OR_LOOPBACK.test(text)) return undefined;
  // `Foo::Bar`-style scope operators parse as IPv6; require at least three groups or a digit-led one.
  const groups = text.split(":").filter(Boolean);
  return groups.length >= 3 || /^[0-9a-f]{4}$/i.test(groups[0] ?? "") && /\d/.test(groups[0] ?? "") ? text : undefined;
}
