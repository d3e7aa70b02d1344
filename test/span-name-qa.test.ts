// Regressions from a QA pass over the span-name rules (high-cardinality-span-name,
// span-name-convention), their templater and their Collector fixes. Traces come from the real
// OpenTelemetry SDK (fixtures/lib/recorder.ts), exported as OTLP/JSON and decoded as tracelint reads them.
import { SpanKind as ApiKind, type Attributes } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import highCardinalitySpanName from "../rules/high-cardinality-span-name";
import spanNameConvention from "../rules/span-name-convention";
import { isDataLike } from "../src/analysis/templates/classify";
import { Drain } from "../src/analysis/templates/drain";
import { deriveTemplate, templateTokens } from "../src/analysis/templates/tokenize";
import { decodeInput } from "../src/decode/index";
import { Analyzer } from "../src/engine/analyzer";
import { TraceAssembler } from "../src/engine/assemble";
import { resolveConfig } from "../src/engine/config";
import type { Rule } from "../src/engine/rule";
import type { Finding } from "../src/engine/findings";
import type { Trace } from "../src/model/trace";
import { httpServerNameFix, templateRegex } from "../src/remediation/span-names";
import { letters } from "./support/letters";

interface SpanSpec {
  name: string;
  kind: ApiKind;
  attributes?: Attributes;
}

/** Each spec becomes one span in its own trace of `service`, made by the real SDK and decoded from OTLP/JSON. */
async function tracesOf(service: string, specs: SpanSpec[], seed = 7): Promise<Trace[]> {
  const rec = new TraceRecorder({ seed });
  const tracer = rec.tracer(service);
  specs.forEach((s, i) => tracer.startSpan(s.name, { kind: s.kind, startTime: rec.time(i * 10), ...(s.attributes ? { attributes: s.attributes } : {}) }).end(rec.time(i * 10 + 3)));
  const decoded = await decodeInput(rec.toOtlpJson(), { name: "sdk.json" });
  expect(decoded.errors).toEqual([]);
  const assembler = new TraceAssembler();
  assembler.add(decoded.spans);
  return [...assembler.drain()];
}

function analyzerFor(rules: Rule[], settings: Record<string, unknown> = {}): Analyzer {
  return new Analyzer(resolveConfig({ rules: settings }, rules));
}

function run(traces: Trace[], rules: Rule[] = [highCardinalitySpanName], settings?: Record<string, unknown>): Finding[] {
  const analyzer = analyzerFor(rules, settings);
  for (const t of traces) analyzer.addTrace(t);
  return analyzer.finish(new Date(0)).findings;
}

const summary = (findings: Finding[]) => findings.map((f) => [f.ruleId, f.service, f.category, f.subject, f.occurrences, f.traceCount]);

/** A Collector pattern as written in the config (`$$` is one `$`), as a JS RegExp (RE2 syntax is a subset here). */
const collectorRegex = (fix: string, replacement: string): RegExp => {
  const m = new RegExp(`replace_pattern\\(name, "([^"]*)", "${replacement.replace(/[{}]/g, "\\$&")}"\\)`).exec(fix);
  expect(m, fix).not.toBeNull();
  return new RegExp(m![1]!.replace(/\$\$/g, "$"));
};

const SEGMENTS = ["users", "orders", "carts", "items", "prices", "stores"];
const VIEWS = ["list", "search", "export", "summary", "stats", "recent", "popular", "archived", "pending", "active", "flagged", "drafts", "history", "settings", "metrics", "health", "status", "config", "limits", "quota"];
/** 120 distinct constant names (words only): more than the 100 templates kept per key by default. */
const constantNames = (prefix: string) => Array.from({ length: 120 }, (_, i) => `${prefix}${SEGMENTS[i % 6]}/${VIEWS[Math.floor(i / 6)]}`);

/** One-off names with a data-like token (`sha256`) that never merge: each needs a template of its own. */
const oneOffNames = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `${letters(from + i)} sha256`);

describe("high-cardinality-span-name: the template cap does not hide names that vary", () => {
  const invoices = Array.from({ length: 300 }, (_, i) => `render invoice ${100_000 + i}`);
  const internal = (name: string): SpanSpec => ({ name, kind: ApiKind.INTERNAL });

  it("120 constant names seen before 300 `render invoice <n>` give the same finding as seen after", async () => {
    const expected = [["high-cardinality-span-name", "monolith", "INTERNAL", "render invoice {id}", 300, 300]];
    expect(summary(run(await tracesOf("monolith", [...invoices, ...constantNames("load ")].map(internal))))).toEqual(expected);
    expect(summary(run(await tracesOf("monolith", [...constantNames("load "), ...invoices].map(internal))))).toEqual(expected);
  });

  it("the same for HTTP SERVER spans of an older instrumentation (http.method, no http.route)", async () => {
    const server = (name: string): SpanSpec => ({ name, kind: ApiKind.SERVER, attributes: { "http.method": "GET", "http.status_code": 200 } });
    const raw = Array.from({ length: 300 }, (_, i) => `GET /api/invoices/${100_000 + i}`);
    const findings = run(await tracesOf("monolith", [...constantNames("GET /api/"), ...raw].map(server)));
    expect(summary(findings)).toEqual([["high-cardinality-span-name", "monolith", "SERVER", "GET /api/invoices/{id}", 300, 300]]);
    expect(findings[0]!.message).toContain("the service has 420 distinct SERVER span names in all");
  });

  it("constant names take no template slot: the snapshot holds only the template that varies", async () => {
    const analyzer = analyzerFor([highCardinalitySpanName]);
    for (const t of await tracesOf("monolith", [...constantNames("load "), ...invoices.slice(0, 20)].map(internal))) analyzer.addTrace(t);
    const state = analyzer.snapshot().rules["high-cardinality-span-name"] as { keys: { templates: { tokens: string[] }[] }[] };
    expect(state.keys.map((k) => k.templates.map((t) => t.tokens.join("")))).toEqual([["render invoice {id}"]]);
  });

  it("150 one-off data-like names filling the cap first, then 300 IDs interleaved with 600 more one-offs: still found", async () => {
    const churn = oneOffNames(750);
    const names = churn.slice(0, 150);
    invoices.forEach((name, i) => names.push(name, churn[150 + 2 * i]!, churn[151 + 2 * i]!));
    expect(new Set(names).size).toBe(1050);
    const findings = run(await tracesOf("monolith", names.map(internal)));
    expect(summary(findings)).toEqual([["high-cardinality-span-name", "monolith", "INTERNAL", "render invoice {id}", 300, 300]]);
  });

  it("a shard whose one-off names filled the cap still takes another shard's template on merge, in either order", async () => {
    const full = await tracesOf("monolith", oneOffNames(150).map(internal), 1);
    const ids = await tracesOf("monolith", invoices.map(internal), 2);
    const expected = [["high-cardinality-span-name", "monolith", "INTERNAL", "render invoice {id}", 300, 300]];
    for (const [first, second] of [[full, ids], [ids, full]] as const) {
      const a = analyzerFor([highCardinalitySpanName]);
      const b = analyzerFor([highCardinalitySpanName]);
      for (const t of first) a.addTrace(t);
      for (const t of second) b.addTrace(t);
      a.merge(JSON.parse(JSON.stringify(b.snapshot())));
      expect(summary(a.finish(new Date(0)).findings)).toEqual(expected);
    }
  });

  it("state stays bounded while one-off names keep replacing each other in the last slots", async () => {
    const sizeAfter = async (n: number) => {
      const analyzer = analyzerFor([highCardinalitySpanName]);
      for (const t of await tracesOf("monolith", [...invoices.slice(0, 50), ...oneOffNames(n, 1_000)].map(internal))) analyzer.addTrace(t);
      return JSON.stringify(analyzer.snapshot().rules["high-cardinality-span-name"]).length;
    };
    const medium = await sizeAfter(2_000);
    const large = await sizeAfter(6_000);
    expect(Math.abs(large - medium)).toBeLessThan(400); // counters' digits and example lengths only
  });
});

describe("high-cardinality-span-name: versioned operation names are words, not values", () => {
  it.each(["GetUserV2", "ListOrdersV2", "SearchUsersV3", "ValidateV2Request", "SearchProductsByCategoryV2", "apiv3", "v1beta1"])("%s is not data-like", (token) => {
    expect(isDataLike(token)).toBe(false);
  });

  it.each(["9f86d081", "a1b2c3d4", "user42x9k", "ord42x", "job7a", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "k3v9x2"])("%s stays data-like", (token) => {
    expect(isDataLike(token)).toBe(true);
  });

  it("long versioned CamelCase names stay literal; real IDs still become placeholders", () => {
    expect(deriveTemplate("query SearchProductsByCategoryV2")).toBe("query SearchProductsByCategoryV2");
    expect(deriveTemplate("mutation UpdateSubscriptionPlanV10")).toBe("mutation UpdateSubscriptionPlanV10");
    expect(deriveTemplate("GET /blobs/9f86d081884c7d659a2feaa0c55ad015")).toBe("GET /blobs/{id}");
  });

  it("Drain never merges versioned names", () => {
    const drain = new Drain({ maxClusters: 10, similarity: 0.5, prefixDepth: 4 }, () => {});
    for (const name of ["query GetUserV2", "query ListOrdersV2", "query SearchUsersV3"]) drain.add(templateTokens(name), () => null);
    expect(drain.clusters().map((c) => c.tokens.join(""))).toEqual(["query GetUserV2", "query ListOrdersV2", "query SearchUsersV3"]);
  });

  const verbs = ["Get", "List", "Create", "Update", "Delete", "Search", "Fetch", "Sync", "Archive", "Restore"];
  const nouns = ["User", "Order", "Product", "Cart", "Invoice", "Payment", "Shipment", "Review", "Coupon", "Address", "Wishlist", "Category", "Brand", "Store", "Refund", "Subscription", "Plan", "Notification", "Session", "Token"];
  const versioned = ["GetUserV2", "ListOrdersV2", "SearchProductsV2", "FetchInvoiceV2", "GetPaymentV3", "ListReviewsV2", "GetBrandV2", "GetCartV2", "ListStoresV2", "SearchUsersV3", "FetchPlanV2", "GetTokenV2"];
  const graphql = (op: string): SpanSpec => {
    const type = /^(Get|List|Search|Fetch)/.test(op) ? "query" : "mutation";
    return {
      name: `${type} ${op}`,
      kind: ApiKind.SERVER,
      attributes: { "graphql.operation.type": type, "graphql.operation.name": op, "http.request.method": "POST", "http.route": "/graphql", "url.path": "/graphql" },
    };
  };
  const ops = verbs.flatMap((v) => nouns.map((n) => `${v}${n}`));

  it.each([
    ["versioned first, defaults", () => [...versioned, ...ops], {}],
    ["versioned last, defaults", () => [...ops, ...versioned], {}],
    ["versioned last, maxTemplatesPerKey 1000", () => [...ops, ...versioned], { "high-cardinality-span-name": ["warning", { maxTemplatesPerKey: 1000 }] }],
  ] as const)("a GraphQL server with 200 constant and 12 versioned operation names: no finding (%s)", async (_label, names, settings) => {
    const traces = await tracesOf("graphql-gateway", names().map(graphql));
    expect(run(traces, [highCardinalitySpanName, spanNameConvention], settings)).toEqual([]);
  });

  it("short IDs mixing letters and digits (u100x9k) still fold into {*}", async () => {
    const names = [...ops.map((op) => `load ${op}`), ...Array.from({ length: 250 }, (_, i) => `load profile u${100 + i}x9k`)];
    const findings = run(await tracesOf("profiles", names.map((name) => ({ name, kind: ApiKind.INTERNAL }))));
    expect(summary(findings)).toEqual([["high-cardinality-span-name", "profiles", "INTERNAL", "load profile {*}", 250, 250]]);
  });
});

describe("span-name-convention: asset files and full URLs", () => {
  it("`name@2x.png` asset files are not e-mails: constant asset paths are not reported", async () => {
    expect(deriveTemplate("GET /assets/logo@2x.png")).toBe("GET /assets/logo@2x.png");
    expect(deriveTemplate("GET /img/hero@3x.AVIF")).toBe("GET /img/hero@3x.AVIF");
    expect(deriveTemplate("GET /users/alice@example.com/orders")).toBe("GET /users/{email}/orders");
    const traces = await tracesOf("static-web", [
      server("GET /assets/logo@2x.png", { "http.request.method": "GET", "url.path": "/assets/logo@2x.png", "http.response.status_code": 200 }),
      server("GET /img/hero@3x.avif", { "http.request.method": "GET", "url.path": "/img/hero@3x.avif" }),
      server("GET /health", { "http.request.method": "GET" }),
    ]);
    expect(run(traces, [spanNameConvention, highCardinalitySpanName])).toEqual([]);
  });

  it("a full URL as the name: the subject is the method plus the path template, and the fix matches the raw name", async () => {
    const raw = "GET https://shop.example.com/orders/42?x=1";
    const findings = run(await tracesOf("api", [server(raw, { "http.request.method": "GET" })]), [spanNameConvention]);
    expect(summary(findings)).toEqual([["span-name-convention", "api", "http-query-in-name", "GET /orders/{id}", 1, 1]]);
    expect(findings[0]!.message).toContain('the derived template is "GET /orders/{id}"');
    expect(findings[0]!.examples[0]!.evidence).toBe(raw);
    const re = collectorRegex(findings[0]!.fix!, "GET /orders/{id}");
    expect([raw, "GET http://shop.example.com:8080/orders/7", "GET /orders/43", "GET /orders/44?page=2", "/orders/45"].filter((n) => !re.test(n))).toEqual([]);
    expect(["GET /orders/43/items", "POST /orders/43", "GET https://shop.example.com/carts/1", "xGET /orders/1"].filter((n) => re.test(n))).toEqual([]);
  });

  it("a full URL with http.route and url.path: reported as the raw path, subject {method} {http.route}", async () => {
    const findings = run(
      await tracesOf("api", [server("GET https://shop.example.com/orders/me", { "http.request.method": "GET", "http.route": "/orders/:id", "url.path": "/orders/me" })]),
      [spanNameConvention],
    );
    expect(summary(findings)).toEqual([["span-name-convention", "api", "http-raw-path-in-name", "GET /orders/:id", 1, 1]]);
  });
});

describe("Collector fix patterns match the raw names they stand for", () => {
  it.each([
    ["connect [2001:db8::1]:443", "connect [{ip}]:{id}", ["connect [fe80::1]:8443"], ["connect 2001:db8::1]:443", "connect x[2001:db8::1]:443"]],
    ["run report 2024-01-31 10:00:00", "run report {date}", ["run report 2024-02-01", "run report 2024-02-01T10:00:00Z", "run report 10:00:00"], ["run report soon", "run report 2024-01-31 10:00:00 twice"]],
    ["report 2024-01-31 10:00:00 ready", "report {date} ready", ["report 2024-01-31T10:00:00+02:00 ready"], ["report 2024-01-31 ready now"]],
    ["GET /users/12345", "GET /users/{id}", ["GET /users/3fa85f64-5717-4562-b3fc-2c963f66afa6"], ["GET /users/1/orders"]],
  ])("%s → %s", (name, template, alsoMatches, neverMatches) => {
    const tokens = templateTokens(name);
    expect(tokens.join("")).toBe(template);
    const pattern = templateRegex(tokens);
    expect(pattern).not.toContain("\\");
    const re = new RegExp(pattern);
    expect([name, ...alsoMatches].filter((n) => !re.test(n))).toEqual([]);
    expect(neverMatches.filter((n) => re.test(n))).toEqual([]);
  });

  it("a `[` in a name is escaped, so the pattern is a valid regex of the literal bracket", () => {
    expect(templateRegex(templateTokens("connect [2001:db8::1]:443"))).toBe("^connect [[][^/?&= ]+.:[^/?&= ]+$");
  });

  it("the older-Collector fallback also reads the old `http.method` attribute", async () => {
    const fix = httpServerNameFix("shop", "GET", templateTokens("/users/{id}"), true);
    expect(fix).toContain(`set(name, Concat([attributes["http.request.method"], attributes["http.route"]], " "))`);
    expect(fix).toContain(
      `set(name, Concat([attributes["http.method"], attributes["http.route"]], " ")) where resource.attributes["service.name"] == "shop" and kind == SPAN_KIND_SERVER and attributes["http.request.method"] == nil and attributes["http.method"] != nil and attributes["http.route"] != nil`,
    );
    // As the rule emits it for an older instrumentation's span (http.method, http.target).
    const findings = run(
      await tracesOf("shop", [server("GET /users/12345", { "http.method": "GET", "http.route": "/users/:id", "http.target": "/users/12345?x=1" })]),
      [spanNameConvention],
    );
    expect(summary(findings)).toEqual([["span-name-convention", "shop", "http-raw-path-in-name", "GET /users/:id", 1, 1]]);
    expect(findings[0]!.fix).toContain(`Concat([attributes["http.method"], attributes["http.route"]], " ")`);
  });
});

function server(name: string, attributes: Attributes): SpanSpec {
  return { name, kind: ApiKind.SERVER, attributes };
}

describe("a sensitive value that every name shares is never quoted in a template (QA, session 6)", () => {
  const RAW = /jane\.doe|hunter2|AKIAIOSFODNN7EXAMPLE/;

  it("replaces it with {redacted} in subjects, messages and the Collector fix, which still matches the names", async () => {
    const names = (i: number) => [
      { name: `GET /users/jane.doe%40gmail.com/orders/${1000 + i}`, kind: ApiKind.SERVER, attributes: { "http.request.method": "GET" } },
      { name: `connect password=hunter2 try ${i}`, kind: ApiKind.INTERNAL },
      { name: `s3 put AKIAIOSFODNN7EXAMPLE part ${i}`, kind: ApiKind.INTERNAL },
    ];
    const specs = Array.from({ length: 210 }, (_, i) => names(i)).flat();
    const findings = run(await tracesOf("accounts", specs), [highCardinalitySpanName, spanNameConvention]);
    expect(summary(findings).map(([rule, , , subject]) => [rule, subject]).sort()).toEqual([
      ["high-cardinality-span-name", "GET /users/{redacted}/orders/{id}"],
      ["high-cardinality-span-name", "connect {redacted} try {id}"],
      ["high-cardinality-span-name", "s3 put {redacted} part {id}"],
      ["span-name-convention", "GET /users/{redacted}/orders/{id}"],
    ]);
    for (const f of findings) expect(JSON.stringify(f)).not.toMatch(RAW);
    // The rewrite still selects every raw name of the cluster: {redacted} matches any run of characters.
    const fix = findings.find((f) => f.ruleId === "high-cardinality-span-name" && f.subject === "connect {redacted} try {id}")!.fix!;
    const pattern = /replace_pattern\(name, "([^"]+)"/.exec(fix)![1]!;
    expect(new RegExp(pattern).test("connect password=hunter2 try 17")).toBe(true);
    expect(fix).toContain('"connect {redacted} try {id}"');
  });
});

describe("single digits in a name that carries values are values too (QA, session 6)", () => {
  it.each([
    ["GET /api/v1/namespaces/team-3/pods/48213", "GET /api/v1/namespaces/team-{id}/pods/{id}"],
    ["GET /logs/2024/05/17/app-7.log", "GET /logs/{id}/{id}/{id}/app-{id}.log"],
    ["GET /releases/download/v1.12.0/agent-1.12.0-linux-amd64.tar.gz", "GET /releases/download/v1.{id}.{id}/agent-{id}.{id}.{id}-linux-amd64.tar.gz"],
    // Constant names keep them: a digit joined to a word names something there.
    ["GET /charset/utf-8", "GET /charset/utf-8"],
    ["hash sha-1", "hash sha-1"],
  ])("%s → %s", (name, template) => {
    expect(deriveTemplate(name)).toBe(template);
  });

  it("one template per path shape, not one per digit: 10 teams × 24 pods give one finding of each rule", async () => {
    const specs = Array.from({ length: 240 }, (_, i) => ({
      name: `GET /api/v1/namespaces/team-${i % 10}/pods/${10_000 + i * 37}`,
      kind: ApiKind.SERVER,
      attributes: { "http.request.method": "GET" },
    }));
    const findings = run(await tracesOf("k8s-api", specs), [highCardinalitySpanName, spanNameConvention]);
    expect(summary(findings).map(([rule, , , subject, occurrences]) => [rule, subject, occurrences]).sort()).toEqual([
      ["high-cardinality-span-name", "GET /api/v1/namespaces/team-{id}/pods/{id}", 240],
      ["span-name-convention", "GET /api/v1/namespaces/team-{id}/pods/{id}", 240],
    ]);
  });
});
