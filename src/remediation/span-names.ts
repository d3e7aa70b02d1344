// Ready-to-paste fixes for span-name findings: an OpenTelemetry Collector `transform` processor
// snippet (OTTL) that rewrites names already in flight, plus the instrumentation change that stops
// producing them. Regexes are RE2 (the Collector is Go) and avoid backslashes (metacharacters go in
// `[.]` classes), so they survive YAML and OTTL string quoting unchanged.
import { Placeholder } from "../analysis/templates/classify";
import { mdCode } from "../report/markdown-escape";
import { CONTROL_CHARACTERS } from "../util/control";

/** Placeholders we emit, and what each one matches in a raw name. */
const PLACEHOLDER_PATTERNS: Record<string, string> = {
  [Placeholder.ID]: "[^/?&= ]+",
  [Placeholder.EMAIL]: "[^/?&= ]+",
  [Placeholder.IP]: "[^/?&= ]+",
  // `2024-01-31`, `2024-01-31T10:00:00+02:00`, `10:00:00.5`, and `2024-01-31 10:00:00` (one space).
  [Placeholder.DATE]: "[0-9][0-9:.TZ+-]*(?: [0-9][0-9:.Z+-]*)?",
  [Placeholder.ANY]: "[^/?&= ]+",
  [Placeholder.VALUE]: "[^&# ]*",
  [Placeholder.QUERY]: "[^ #]*",
  // A sensitive value every name shares (an address, a key, a phone number written with spaces).
  [Placeholder.REDACTED]: ".+",
};

const OTTL_KIND: Record<number, string> = {
  0: "SPAN_KIND_UNSPECIFIED",
  1: "SPAN_KIND_INTERNAL",
  2: "SPAN_KIND_SERVER",
  3: "SPAN_KIND_CLIENT",
  4: "SPAN_KIND_PRODUCER",
  5: "SPAN_KIND_CONSUMER",
};

/** Semantic-conventions version passed to `set_semconv_span_name` (Collector contrib ≥ 0.142.0). */
export const SEMCONV_VERSION = "1.37.0";

function escapeRegexChar(c: string): string {
  if (/[A-Za-z0-9 /_:=&@,'<>%!#~;-]/.test(c)) return c;
  if (".*+?(){}|$[".includes(c)) return `[${c}]`;
  if ("^]\\\"".includes(c)) return "."; // would need a backslash; any-char is close enough
  return c;
}

/** An unanchored RE2 pattern for the template's tokens. */
function tokensPattern(tokens: readonly string[]): string {
  let out = "";
  for (const token of tokens) {
    const pattern = PLACEHOLDER_PATTERNS[token];
    out += pattern ?? [...token].map(escapeRegexChar).join("");
  }
  return out;
}

/** An anchored RE2 pattern matching every raw name the template stands for. */
export function templateRegex(tokens: readonly string[]): string {
  return `^${tokensPattern(tokens)}$`;
}

/** An optional `scheme://host[:port]` before a path (a full URL used as the name). */
const URL_ORIGIN_PATTERN = "(?:[A-Za-z][A-Za-z0-9+.-]*://[^/ ]*)?";
/** An optional query string after a path. */
const URL_QUERY_PATTERN = "(?:[?][^ #]*)?";

/**
 * An anchored RE2 pattern for HTTP SERVER names `{method} {target}` whose target is the path
 * template, optionally written as a full URL (`GET https://host/orders/42`), optionally with a
 * query (`GET /search?q=shoes`), or the bare path (`/orders/42`, the method only in attributes):
 * every raw name a `GET /orders/{id}` finding stands for.
 */
export function httpTargetRegex(method: string, pathTokens: readonly string[]): string {
  return `^(?:${[...method].map(escapeRegexChar).join("")} )?${URL_ORIGIN_PATTERN}${tokensPattern(pathTokens)}${URL_QUERY_PATTERN}$`;
}

/** An OTTL string literal. */
export function ottlString(text: string): string {
  // Control characters as escapes: a raw newline from a service name would end the YAML line and,
  // in the Markdown report, let the name close the snippet's code fence; a bidi override would make
  // the snippet read differently from what it matches.
  const escaped = text
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t")
    .replace(CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return `"${escaped}"`;
}

/** A YAML single-quoted scalar (only `'` needs escaping, by doubling). */
function yamlQuoted(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** OTTL `where` clause selecting one service (and span kind). */
export function spanSelector(service: string, kind?: number): string {
  const parts: string[] = [];
  // A name with personal data in it is quoted masked (src/model/span.ts) and would match no
  // resource: select by the other conditions only (the pattern itself is specific).
  if (!MASKED.test(service)) parts.push(`resource.attributes["service.name"] == ${ottlString(service)}`);
  if (kind !== undefined) parts.push(`kind == ${OTTL_KIND[kind] ?? kind}`);
  return parts.length > 0 ? parts.join(" and ") : "true";
}

/** What src/pii/mask.ts leaves in a masked value: `***` or a `…(category, …)` summary. */
const MASKED = /\*\*\*|…\(/;

/**
 * A `transform` processor with span-context statements, as a fenced YAML block. The Collector
 * expands `${…}`/`$VAR` in its config, so every `$` of the OTTL text is written `$$`.
 */
export function transformProcessorYaml(statements: readonly string[], comment?: string): string {
  const lines = ["```yaml", "processors:"];
  if (comment) lines.push(`  # ${comment}`);
  lines.push("  transform/span-names:", "    error_mode: ignore", "    trace_statements:", "      - context: span", "        statements:");
  for (const s of statements) lines.push(`          - ${yamlQuoted(s.replace(/\$/g, "$$$$"))}`);
  lines.push("```");
  return lines.join("\n");
}

/**
 * `replace_pattern(name, …)` that folds every raw name of a template into the template (or into
 * `replacement`, matching `pattern`, when given).
 */
export function replaceNameStatement(tokens: readonly string[], service: string, kind?: number, pattern = templateRegex(tokens)): string {
  // Go's ReplaceAllString reads `$` as a group reference; `$$` is a literal dollar.
  const replacement = tokens.join("").replace(/\$/g, "$$$$");
  return `replace_pattern(name, ${ottlString(pattern)}, ${ottlString(replacement)}) where ${spanSelector(service, kind)}`;
}

const HTTP_METHOD_RE = /^(?:GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH|QUERY)\s+\S/;

function instrumentationAdvice(template: string, kind: number): string {
  if (HTTP_METHOD_RE.test(template) && kind === 2) {
    return (
      "**Instrumentation fix:** set `http.route` to the route template the framework matched " +
      "(register routes with the router, e.g. `/users/:id`, instead of a catch-all) so the HTTP " +
      "instrumentation names the span `{method} {http.route}`; never build the name from the URL path."
    );
  }
  if (HTTP_METHOD_RE.test(template)) {
    return (
      "**Instrumentation fix:** name HTTP client spans `{method}` (or `{method} {url.template}` when a " +
      "low-cardinality `url.template` is known) and keep the full URL in `url.full`."
    );
  }
  return (
    "**Instrumentation fix:** give the span a constant name (the template's fixed words) and move the " +
    "variable part into an attribute, e.g. `span.setAttribute(\"app.job.id\", id)`; attributes do not " +
    "multiply span-metrics series the way span names do."
  );
}

/** Remediation for a `high-cardinality-span-name` finding. */
export function cardinalityFix(service: string, kind: number, tokens: readonly string[]): string {
  const template = tokens.join("");
  return [
    `**Collector fix** (rewrites names in flight; keep it until the instrumentation fix is deployed):`,
    "",
    transformProcessorYaml([replaceNameStatement(tokens, service, kind)], `add transform/span-names to the traces pipeline, before spanmetrics`),
    "",
    instrumentationAdvice(template, kind),
  ].join("\n");
}

/**
 * Remediation for an HTTP SERVER span whose name carries the raw path or query. `method` and
 * `pathTokens` (the path template's tokens) give the suggested name `{method} {path template}`;
 * without a route the Collector rewrites every raw form of it (full URL, query) to that name.
 */
export function httpServerNameFix(service: string, method: string, pathTokens: readonly string[], routeKnown: boolean): string {
  const select = spanSelector(service, 2);
  const statements = routeKnown
    ? [`set_semconv_span_name(${ottlString(SEMCONV_VERSION)}) where ${select}`]
    : [replaceNameStatement([method, " ", ...pathTokens], service, 2, httpTargetRegex(method, pathTokens))];
  // Instrumentations older than HTTP semconv 1.23 send the method as `http.method`.
  const alternative = routeKnown
    ? [
        "",
        "On a Collector older than contrib 0.142.0 (no `set_semconv_span_name`), use:",
        "",
        transformProcessorYaml([
          `set(name, Concat([attributes["http.request.method"], attributes["http.route"]], " ")) where ${select} and attributes["http.request.method"] != nil and attributes["http.route"] != nil`,
          `set(name, Concat([attributes["http.method"], attributes["http.route"]], " ")) where ${select} and attributes["http.request.method"] == nil and attributes["http.method"] != nil and attributes["http.route"] != nil`,
        ]),
      ]
    : [];
  return [
    "**Collector fix:**",
    "",
    transformProcessorYaml(statements),
    ...alternative,
    "",
    routeKnown
      ? "**Instrumentation fix:** the span already has `http.route`; name it `{method} {http.route}` (or let the HTTP instrumentation name it) instead of overwriting the name with the URL."
      : instrumentationAdvice(`${method} ${pathTokens.join("")}`, 2),
  ].join("\n");
}

/** Remediation for a DB span named with a SQL statement that contains literals. */
export function sqlNameFix(service: string, suggestedName: string | undefined): string {
  const where = spanSelector(service);
  const statements = [
    `replace_pattern(name, "'[^']*'", "?") where ${where}`,
    `replace_pattern(name, "([=<>(,] *)-?[0-9]+([.][0-9]+)?", "$1?") where ${where}`,
  ];
  return [
    "**Collector fix** (masks the literals in flight):",
    "",
    transformProcessorYaml(statements),
    "",
    `**Instrumentation fix:** name DB spans \`{db.operation.name} {db.collection.name}\`` +
      (suggestedName ? ` (here ${mdCode(suggestedName)})` : "") +
      ", keep the statement in `db.query.text` with bind parameters (`?`/`$1`) instead of inlined values, " +
      "or let the database instrumentation sanitise it.",
  ].join("\n");
}
