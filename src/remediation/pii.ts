// Remediation for PII findings: what to stop recording, plus an OpenTelemetry Collector
// `transform` (OTTL) snippet — and a `redaction` processor alternative for span attributes — that
// masks exactly the key and category found, as a stop-gap until the instrumentation is fixed.

import { SECRET_PARAM_NAMES } from "../pii/detectors";
import { ottlString } from "./span-names";

/**
 * RE2 patterns (the Collector is Go): no lookarounds or back-references, no backslashes (white space
 * is `[[:space:]]`) and no `$` (the Collector would expand it), written into OTTL strings with
 * ottlString (a `"` becomes `\"`) and into YAML single quotes. Each one matches every form its
 * detector reports, and more (no Luhn or mod-97 in RE2): URL-encoded e-mail addresses (`%40`) and
 * phone numbers (`%2B`, `%20`), IPv6 as well as IPv4 addresses, quoted and JSON secret parameters.
 * test/rules-pii.test.ts checks both.
 */
const RE2_PATTERNS: Readonly<Record<string, { pattern: string; replacement: string }>> = {
  email: { pattern: "[A-Za-z0-9._%+-]+(@|%40)[A-Za-z0-9-]+([.][A-Za-z0-9-]+)*[.][A-Za-z]{2,}", replacement: "[email]" },
  "credit-card": { pattern: "[0-9]([ -]?[0-9]){12,18}", replacement: "[card]" },
  iban: { pattern: "[A-Z]{2}[0-9]{2}( ?[A-Z0-9]{4}){2,7}( ?[A-Z0-9]{1,3})?", replacement: "[iban]" },
  "us-ssn": { pattern: "[0-9]{3}-[0-9]{2}-[0-9]{4}", replacement: "[ssn]" },
  phone: { pattern: "([+]|%2[Bb])[1-9](([ .+-]|%20)?([(]|%28)?[0-9]{1,4}([)]|%29)?){2,8}", replacement: "[phone]" },
  jwt: { pattern: "eyJ[A-Za-z0-9_-]+([.][A-Za-z0-9_-]*){2,4}", replacement: "[jwt]" },
  "bearer-token": { pattern: "(?i)bearer[[:space:]]+[A-Za-z0-9._~+/=-]+", replacement: "Bearer [redacted]" },
  "basic-auth": { pattern: "(?i)basic[[:space:]]+[A-Za-z0-9+/=]+", replacement: "Basic [redacted]" },
  "api-key": {
    pattern: "(AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]+|xox[a-z]-[A-Za-z0-9-]+|[sr]k_live_[A-Za-z0-9]+|AIza[0-9A-Za-z_-]{35}|sk-[A-Za-z0-9_-]{20,}",
    replacement: "[api-key]",
  },
  // `redis://:password@host` has no user name.
  "url-credentials": { pattern: "://[^/@:]*:[^/@]+@", replacement: "://[redacted]@" },
  "secret-param": {
    // `name=value`, `name = 'value'`, `name="value"`, and `"name": "value"` in JSON (the `"` before
    // the name stays, the one after it is in the kept group).
    pattern: `(?i)((${SECRET_PARAM_NAMES.join("|")})"?[[:space:]]*[=:][[:space:]]*)('[^']*'|"[^"]*"|[^&;, '"]+)`,
    // `$$` is the Collector config's escape for a literal `$` (OTTL then reads `${1}`).
    replacement: "$${1}[redacted]",
  },
  // IPv4, or IPv6 (two to seven colons, `::` included, and an IPv4 tail such as `::ffff:203.0.113.7`).
  "ip-address": { pattern: "[0-9]{1,3}([.][0-9]{1,3}){3}|[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}([.][0-9]{1,3}){0,3}", replacement: "[ip]" },
};

/** Categories whose whole value is a credential: drop the attribute rather than patch it. */
const WHOLE_VALUE_SECRETS = new Set(["secret-key", "bearer-token", "jwt", "api-key"]);

const SOURCE_ADVICE: Readonly<Record<string, string>> = {
  "secret-key": "do not record this header/field at all (allowlist the headers you capture)",
  "bearer-token": "do not capture the `Authorization` header",
  "basic-auth": "change the exposed password now, and do not capture the `Authorization` header",
  jwt: "do not record tokens; record a stable, non-secret claim such as a hashed subject if needed",
  "api-key": "rotate the exposed key now, then stop recording it",
  "url-credentials": "strip `user:password@` from URLs before recording them (or record `url.path` only)",
  "secret-param": "strip secret query parameters and use bind parameters instead of SQL literals",
  "ip-address": "record client IPs only where semantic conventions ask for them (`client.address`)",
};

interface Target {
  context: "span" | "spanevent" | "resource";
  /** OTTL path of a single string value, or undefined for an attribute map entry. */
  path: string;
  /** Attribute key when the target is an attribute. */
  key?: string;
}

/** Keys written into OTTL strings and YAML as they are: letters and digits of any script, and `_.-/:@`. */
const SAFE_KEY = /^[\p{L}\p{N}_.\-/:@]+$/u;

function targetOf(subject: string): Target | undefined {
  if (subject === "span.name") return { context: "span", path: "name" };
  if (subject === "status.message") return { context: "span", path: "status.message" };
  if (subject === "event.name") return { context: "spanevent", path: "name" };
  let context: Target["context"] = "span";
  let key = subject;
  if (subject.startsWith("link.")) return undefined; // no OTTL context reaches link attributes
  if (subject.startsWith("event.")) [context, key] = ["spanevent", subject.slice("event.".length)];
  else if (subject.startsWith("resource.")) [context, key] = ["resource", subject.slice("resource.".length)];
  if (!SAFE_KEY.test(key)) return undefined;
  return { context, path: `attributes["${key}"]`, key };
}

function yamlSingle(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function ottlStatement(target: Target, category: string): string | undefined {
  if (WHOLE_VALUE_SECRETS.has(category) && target.key !== undefined) {
    return `delete_key(attributes, "${target.key}")`;
  }
  const re = RE2_PATTERNS[category === "secret-key" ? "bearer-token" : category];
  if (!re) return undefined;
  return `replace_pattern(${target.path}, ${ottlString(re.pattern)}, ${ottlString(re.replacement)})`;
}

function transformSnippet(target: Target, statement: string): string {
  return [
    "```yaml",
    "processors:",
    "  transform/tracelint-pii:",
    "    error_mode: ignore",
    "    trace_statements:",
    `      - context: ${target.context}`,
    "        statements:",
    `          - ${yamlSingle(statement)}`,
    "```",
  ].join("\n");
}

function redactionSnippet(target: Target, category: string): string | undefined {
  if (target.context !== "span" || target.key === undefined) return undefined;
  const re = RE2_PATTERNS[category];
  const rule = WHOLE_VALUE_SECRETS.has(category) || !re
    ? `    blocked_key_patterns: [${yamlSingle(`^${target.key.replace(/[.]/g, "[.]")}$`)}]`
    : `    blocked_values: [${yamlSingle(re.pattern)}]`;
  return ["```yaml", "processors:", "  redaction/tracelint-pii:", "    allow_all_keys: true", rule, "    summary: silent", "```"].join("\n");
}

/** Markdown remediation for one PII finding (subject = attribute key or span.name/…). */
export function piiFix(subject: string, category: string): string {
  const advice = SOURCE_ADVICE[category] ?? "stop recording this value, or hash/tokenise it in the application";
  const lines = [`Fix at the source: ${advice}. Until then, mask it in the OpenTelemetry Collector (traces pipeline, before any exporter):`];
  const target = targetOf(subject);
  const statement = target && ottlStatement(target, category);
  if (!target || !statement) {
    lines.push(
      subject.startsWith("link.")
        ? "Link attributes are not reachable from the `transform` processor: the fix has to be made in the instrumentation."
        : !target
          ? "The attribute key holds characters (spaces, quotes, control characters) that tracelint does not write into a Collector snippet; mask or drop the attribute in a `transform` processor by hand."
          : "No generic Collector pattern exists for this category; drop the attribute with `delete_key` in a `transform` processor.",
    );
    return lines.join("\n");
  }
  lines.push(transformSnippet(target, statement));
  const redaction = redactionSnippet(target, category);
  if (redaction) lines.push("or with the `redaction` processor:", redaction);
  return lines.join("\n");
}
