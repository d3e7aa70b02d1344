// Span names that break the semantic conventions in ways that carry values: HTTP SERVER spans named
// with the raw URL path or query instead of `{method} {http.route}`, and DB spans named with a SQL
// statement that has literals inlined.
import { z } from "zod";
import { hasUrlQuery, httpMethodOf, nameTarget, stripUrlQuery } from "../src/analysis/templates/http";
import { looksLikeSql, maskSqlLiterals, sqlSemconvName } from "../src/analysis/templates/sql";
import { redactTemplateTokens } from "../src/analysis/templates/redact";
import { renderTemplate, templateTokens } from "../src/analysis/templates/tokenize";
import { Memo } from "../src/engine/memo";
import { defineRule, type RuleContext } from "../src/engine/rule";
import { SpanKind, stringAttribute, type Span } from "../src/model/span";
import type { Trace } from "../src/model/trace";
import { redactText } from "../src/pii/redact";
import { httpServerNameFix, sqlNameFix } from "../src/remediation/span-names";

const OptionsSchema = z.object({
  http: z.boolean().default(true).describe("Check HTTP SERVER span names against `{method} {http.route}`."),
  sql: z.boolean().default(true).describe("Check for SQL statements with literals used as span names."),
});
type Options = z.infer<typeof OptionsSchema>;

/** What a SERVER span's name says as a URL: a pure function of the name, memoised per name. */
interface NameUrl {
  query: boolean;
  /** The URL path: a full URL's `scheme://host[:port]` and the query are dropped. */
  path: string;
  /** The path's template tokens, with shared sensitive parts redacted (see redactTemplateTokens). */
  pathTokens: readonly string[];
  pathTemplate: string;
}

/** `scheme://authority` at the start of a full URL. */
const URL_ORIGIN_RE = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*/i;

/** `undefined` when the name (after the method) is not a URL path or URL. */
function nameUrlOf(name: string): NameUrl | undefined {
  let target = nameTarget(name);
  if (!target.startsWith("/")) {
    const origin = URL_ORIGIN_RE.exec(target);
    if (!origin) return undefined;
    // Semconv's name is `{method} {http.route}`, and a route is a path: the host is not part of it.
    target = target.slice(origin[0].length);
    if (!target.startsWith("/")) target = `/${target}`;
  }
  const path = stripUrlQuery(target);
  const pathTokens = redactTemplateTokens(templateTokens(path));
  return { query: hasUrlQuery(target), path, pathTokens, pathTemplate: renderTemplate(pathTokens) };
}

/** The verdict of `checkSql` for a name, memoised per name (it reads nothing else). */
interface SqlVerdict {
  subject: string;
  literals: number;
  suggested: string | undefined;
}

function sqlVerdictOf(name: string): SqlVerdict | undefined {
  if (!looksLikeSql(name)) return undefined;
  const masked = maskSqlLiterals(name);
  if (masked.literals === 0) return undefined;
  // Literals are gone; redactText is a second net for values the SQL masker cannot see.
  return { subject: redactText(masked.text), literals: masked.literals, suggested: sqlSemconvName(name) };
}

/** Per-rule memos of the name-only work (see src/engine/memo.ts for the bound and policy). */
interface NameMemos {
  url: Memo<NameUrl | undefined>;
  sql: Memo<SqlVerdict | undefined>;
}

/** `name === \`${method} ${route}\`` without building the string (the healthy case, once per span). */
function isMethodRoute(name: string, method: string, route: string): boolean {
  return name.length === method.length + 1 + route.length && name.startsWith(method) && name.charCodeAt(method.length) === 32 && name.endsWith(route);
}

function checkHttpServer(context: RuleContext<Options>, trace: Trace, span: Span, memos: NameMemos): void {
  if (span.kind !== SpanKind.SERVER) return;
  const method = httpMethodOf(span);
  if (!method) return;
  const route = stringAttribute(span.attributes, "http.route");
  // Named `{method} {http.route}` as semconv asks: never reported, whatever the rest says.
  if (route !== undefined && route !== "" && isMethodRoute(span.name, method, route)) return;
  const url = memos.url.get(span.name, nameUrlOf);
  if (!url) return;
  const { query, path, pathTokens, pathTemplate } = url;
  const carriesValues = pathTemplate !== path;
  const urlPath = stringAttribute(span.attributes, "url.path") ?? stringAttribute(span.attributes, "http.target")?.split("?")[0];

  let subject: string;
  if (route !== undefined && route !== "") {
    if (span.name === `${method} ${route}`) return;
    // A route is an attribute value: quoted only once masked, like any other.
    subject = `${method} ${redactText(route)}`;
    const rawPath = urlPath !== undefined && urlPath !== route && path === urlPath;
    if (!query && !carriesValues && !rawPath) return;
  } else {
    if (!query && !carriesValues) return;
    subject = `${method} ${pathTemplate}`;
  }
  const what = query ? "the URL query" : "the raw URL path";
  const category = query ? "http-query-in-name" : "http-raw-path-in-name";
  context.report({
    service: span.service,
    subject,
    category,
    message:
      route !== undefined && route !== ""
        ? `HTTP SERVER span named with ${what} although it has http.route; name it "${subject}" ({method} {http.route}).`
        : `HTTP SERVER span named with ${what} and no http.route; the derived template is "${subject}". ` +
          `Set http.route so the span is named {method} {http.route}.`,
    example: { traceId: trace.traceId, spanId: span.spanId, evidence: redactText(span.name) },
    fix: httpServerNameFix(span.service, method, pathTokens, route !== undefined && route !== ""),
  });
}

function checkSql(context: RuleContext<Options>, trace: Trace, span: Span, memos: NameMemos): void {
  const verdict = memos.sql.get(span.name, sqlVerdictOf);
  if (!verdict) return;
  const { subject, suggested, literals } = verdict;
  context.report({
    service: span.service,
    subject,
    category: "db-sql-literals",
    message:
      `DB span named with a SQL statement containing ${literals} literal value(s); ` +
      `name it ${suggested ? `"${suggested}" ` : ""}({db.operation.name} {db.collection.name}) and keep the parameterised statement in db.query.text.`,
    example: { traceId: trace.traceId, spanId: span.spanId, evidence: subject },
    fix: sqlNameFix(span.service, suggested),
  });
}

export default defineRule<Options>({
  meta: {
    id: "span-name-convention",
    severity: "warning",
    description: "HTTP SERVER spans named with the raw URL, and DB spans named with SQL literals.",
    docs: `
One occurrence is one span, attributed to its own service:

- \`http-raw-path-in-name\` / \`http-query-in-name\`: a SERVER span with an HTTP method (from
  \`http.request.method\`/\`http.method\`, or the name's first word) whose name, after the method, is a URL
  path (or a full URL, read as its path) that carries values (IDs, emails, dates… — see
  \`high-cardinality-span-name\`) or a query string, or, when \`http.route\` is set, the raw \`url.path\`
  instead of the route. Semconv names these spans \`{method} {http.route}\` and says instrumentation
  MUST NOT default to the URI path. Subject = the suggested name: \`{method} {http.route}\` when the span
  has a route, else the method plus the derived path template (scheme, host and query dropped:
  \`GET https://shop.example.com/orders/42?x=1\` → \`GET /orders/{id}\`). A constant path such as
  \`GET /health\` or \`GET /assets/logo@2x.png\` without a route is not reported (it is a legal
  low-cardinality name).
- \`db-sql-literals\`: a span named with a SQL statement (a verb such as SELECT plus a clause such as
  FROM/WHERE/VALUES) that inlines literal values (quoted strings, numbers after \`=\`, \`<\`, \`>\`, \`(\`, \`,\`).
  Subject = the statement with every literal replaced by \`?\`; the message suggests the semconv name
  \`{db.operation.name} {db.collection.name}\`. Parameterised statements (\`WHERE id = ?\`) are not reported.

Raw names never appear in findings: evidence is PII-masked, subjects are templates.

**Fix.** The finding's fix carries a Collector \`transform\` snippet (\`set_semconv_span_name\` or
\`replace_pattern\`) and the instrumentation change (set \`http.route\`; use bind parameters and the
semconv DB span name).
`.trim(),
    options: OptionsSchema,
  },
  create(context) {
    const memos: NameMemos = { url: new Memo(), sql: new Memo() };
    return {
      trace(trace) {
        for (const span of trace.spans) {
          if (context.options.http) checkHttpServer(context, trace, span, memos);
          if (context.options.sql) checkSql(context, trace, span, memos);
        }
      },
    };
  },
});
