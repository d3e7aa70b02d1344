import { SpanKind as ApiKind, type Attributes } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import spanNameConvention from "../rules/span-name-convention";
import { decodeInput } from "../src/decode/index";
import { Analyzer } from "../src/engine/analyzer";
import { TraceAssembler } from "../src/engine/assemble";
import { resolveConfig } from "../src/engine/config";

interface SpanSpec {
  name: string;
  kind: ApiKind;
  attributes?: Attributes;
  service?: string;
}

/** Each spec becomes one span in its own trace, made by the real SDK and decoded from OTLP/JSON. */
async function check(specs: SpanSpec[]) {
  const rec = new TraceRecorder({ seed: 9 });
  specs.forEach((s, i) => rec.tracer(s.service ?? "shop").startSpan(s.name, { kind: s.kind, startTime: rec.time(i), ...(s.attributes ? { attributes: s.attributes } : {}) }).end(rec.time(i + 1)));
  const decoded = await decodeInput(rec.toOtlpJson(), { name: "sdk.json" });
  const assembler = new TraceAssembler();
  assembler.add(decoded.spans);
  const analyzer = new Analyzer(resolveConfig({}, [spanNameConvention]));
  for (const t of assembler.drain()) analyzer.addTrace(t);
  return analyzer.finish(new Date(0)).findings;
}

const server = (name: string, attributes?: Attributes): SpanSpec => ({ name, kind: ApiKind.SERVER, ...(attributes ? { attributes } : {}) });

describe("span-name-convention: HTTP SERVER spans", () => {
  it("raw path with an ID and no http.route → subject is the derived template", async () => {
    const findings = await check([server("GET /users/12345", { "http.request.method": "GET", "url.path": "/users/12345" })]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      ruleId: "span-name-convention",
      severity: "warning",
      service: "shop",
      subject: "GET /users/{id}",
      category: "http-raw-path-in-name",
      occurrences: 1,
      traceCount: 1,
      message:
        'HTTP SERVER span named with the raw URL path and no http.route; the derived template is "GET /users/{id}". Set http.route so the span is named {method} {http.route}.',
    });
    expect(findings[0]!.examples[0]!.evidence).toBe("GET /users/12345");
    // The pattern also takes the name's other raw forms (full URL, query), which get the same subject.
    expect(findings[0]!.fix).toContain(
      `replace_pattern(name, "^(?:GET )?(?:[A-Za-z][A-Za-z0-9+.-]*://[^/ ]*)?/users/[^/?&= ]+(?:[?][^ #]*)?$$", "GET /users/{id}") where resource.attributes["service.name"] == "shop" and kind == SPAN_KIND_SERVER`,
    );
  });

  it("raw path although http.route is set → subject is {method} {http.route}, fix uses set_semconv_span_name", async () => {
    const findings = await check([server("GET /users/12345", { "http.request.method": "GET", "http.route": "/users/:id", "url.path": "/users/12345" })]);
    expect(findings.map((f) => [f.subject, f.category, f.message])).toEqual([
      ["GET /users/:id", "http-raw-path-in-name", 'HTTP SERVER span named with the raw URL path although it has http.route; name it "GET /users/:id" ({method} {http.route}).'],
    ]);
    expect(findings[0]!.fix).toContain(`set_semconv_span_name("1.37.0") where resource.attributes["service.name"] == "shop" and kind == SPAN_KIND_SERVER`);
  });

  it("many spans of one bad route aggregate into one finding; the query string is dropped from the suggestion", async () => {
    const findings = await check([
      server("GET /search?q=shoes", { "http.request.method": "GET" }),
      server("GET /search?q=boots&page=2", { "http.request.method": "GET" }),
      server("POST /carts/77/items", {}),
      server("POST /carts/78/items", {}),
    ]);
    expect(findings.map((f) => [f.subject, f.category, f.occurrences, f.traceCount])).toEqual([
      ["GET /search", "http-query-in-name", 2, 2],
      ["POST /carts/{id}/items", "http-raw-path-in-name", 2, 2],
    ]);
  });

  it("masks PII in evidence: an email in the path never reaches the report", async () => {
    const findings = await check([server("GET /users/alice@example.com/orders", { "http.request.method": "GET" })]);
    expect(findings.map((f) => [f.subject, f.examples[0]!.evidence])).toEqual([["GET /users/{email}/orders", "GET /users/a***@e***.com/orders"]]);
    expect(JSON.stringify(findings)).not.toContain("alice@");
  });

  it("leaves healthy names alone", async () => {
    const findings = await check([
      server("GET /users/:id", { "http.request.method": "GET", "http.route": "/users/:id", "url.path": "/users/12345" }),
      server("GET /health", { "http.request.method": "GET", "url.path": "/health" }),
      server("GET", { "http.request.method": "GET", "url.path": "/users/12345" }),
      server("POST /orders/{orderId}", { "http.request.method": "POST", "http.route": "/orders/{orderId}" }),
      { name: "GET /users/12345", kind: ApiKind.CLIENT, attributes: { "http.request.method": "GET" } },
      { name: "ProcessOrderBatch", kind: ApiKind.INTERNAL },
    ]);
    expect(findings).toEqual([]);
  });
});

describe("span-name-convention: SQL statements as span names", () => {
  it("flags a statement with literals; subject and evidence have the literals masked", async () => {
    const findings = await check([
      { name: "SELECT * FROM users WHERE email = 'a@b.c'", kind: ApiKind.CLIENT, attributes: { "db.system.name": "postgresql" }, service: "accounts" },
      { name: "SELECT * FROM users WHERE email = 'bob@corp.example'", kind: ApiKind.CLIENT, attributes: { "db.system.name": "postgresql" }, service: "accounts" },
    ]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      service: "accounts",
      subject: "SELECT * FROM users WHERE email = ?",
      category: "db-sql-literals",
      occurrences: 2,
      traceCount: 2,
      message:
        'DB span named with a SQL statement containing 1 literal value(s); name it "SELECT users" ({db.operation.name} {db.collection.name}) and keep the parameterised statement in db.query.text.',
    });
    expect(findings[0]!.examples.map((e) => e.evidence)).toEqual(["SELECT * FROM users WHERE email = ?", "SELECT * FROM users WHERE email = ?"]);
    const text = JSON.stringify(findings);
    expect(text).not.toContain("a@b.c");
    expect(text).not.toContain("bob@");
    expect(findings[0]!.fix).toContain(`replace_pattern(name, "''[^'']*''", "?")`);
  });

  it("masks numeric literals and IN lists", async () => {
    const findings = await check([{ name: "UPDATE orders SET status = 'paid' WHERE id IN (17, 18, 19)", kind: ApiKind.CLIENT }]);
    expect(findings.map((f) => [f.subject, f.message.split(";")[0]])).toEqual([
      ["UPDATE orders SET status = ? WHERE id IN (?)", "DB span named with a SQL statement containing 4 literal value(s)"],
    ]);
  });

  it("does not flag parameterised statements or semconv DB names", async () => {
    const findings = await check([
      { name: "SELECT * FROM users WHERE id = ?", kind: ApiKind.CLIENT },
      { name: "SELECT * FROM users WHERE id = $1", kind: ApiKind.CLIENT },
      { name: "SELECT users", kind: ApiKind.CLIENT, attributes: { "db.system.name": "postgresql" } },
      { name: "INSERT INTO audit (actor, action) VALUES (?, ?)", kind: ApiKind.CLIENT },
    ]);
    expect(findings).toEqual([]);
  });
});

describe("span-name-convention: hostile service names in the fix", () => {
  it("writes a service name with newlines and backticks as one escaped OTTL string, so it cannot close the Markdown code fence", async () => {
    const { renderMarkdown } = await import("../src/report/markdown");
    const { ReportSchema } = await import("../src/report/schema");
    const evil = "evil\n```\n## INJECTED HEADING\n[click me](http://phish.example/login)\n```";
    const [finding] = await check([{ ...server("GET /users/12345", { "http.request.method": "GET", "url.path": "/users/12345" }), service: evil }]);
    expect(finding!.fix).toContain('resource.attributes["service.name"] == "evil\\n```\\n## INJECTED HEADING');
    const report = ReportSchema.parse({
      schemaVersion: 1,
      tool: { name: "tracelint", version: "test" },
      generatedAt: new Date(0).toISOString(),
      summary: { files: 1, traces: 1, spans: 1, services: 1, partialTraces: 0, inputErrors: [] },
      rules: [],
      findings: [finding],
    });
    const md = renderMarkdown(report);
    expect(md.split("\n").filter((line) => line.startsWith("## INJECTED"))).toEqual([]);
    // Every fence the fix opens is closed by the fix's own fence line.
    const fences = md.split("\n").filter((line) => line.trim().startsWith("```"));
    expect(fences.map((f) => f.trim())).toEqual(["```yaml", "```"]);
  });
});
