import { describe, expect, it } from "vitest";
import { DistinctCounter } from "../src/analysis/sketch/distinct-counter";
import { hash64 } from "../src/analysis/sketch/hash";
import { HyperLogLog } from "../src/analysis/sketch/hyperloglog";
import { Drain } from "../src/analysis/templates/drain";
import { looksLikeSql, maskSqlLiterals, sqlSemconvName } from "../src/analysis/templates/sql";
import { deriveTemplate, templateTokens } from "../src/analysis/templates/tokenize";
import { cardinalityFix, templateRegex } from "../src/remediation/span-names";

describe("deriveTemplate: variable tokens become placeholders", () => {
  it.each([
    ["GET /users/12345", "GET /users/{id}"],
    ["GET /orders/3fa85f64-5717-4562-b3fc-2c963f66afa6/items", "GET /orders/{id}/items"],
    ["GET /files/01ARZ3NDEKTSV4RRFFQ69G5FAV", "GET /files/{id}"],
    ["GET /blobs/9f86d081884c7d659a2feaa0c55ad015", "GET /blobs/{id}"],
    ["PATCH /fig/eIku4oXs4VEUVQ==", "PATCH /fig/{id}"],
    ["PUT /apple/+2tthaanB78glw==", "PUT /apple/{id}"],
    ["send to alice@example.com", "send to {email}"],
    ["connect 10.0.0.12:5432", "connect {ip}"],
    ["resolve fe80::1ff:fe23:4567:890a", "resolve {ip}"],
    ["report 2024-01-02T10:00:00Z ready", "report {date} ready"],
    ["GET /search?q=shoes&page=2", "GET /search?q={value}&page={value}"],
    ["queue://24568/ABC.REPLY?name=251 send", "queue://{id}/ABC.REPLY?name={value} send"],
    ["batch job 156: done", "batch job {id}: done"],
    ["batch job 0: done", "batch job {id}: done"],
    ["cache user-12345", "cache user-{id}"],
    ["/api/v1/users/7/orders/99", "/api/v1/users/{id}/orders/{id}"],
  ])("%s → %s", (name, template) => {
    expect(deriveTemplate(name)).toBe(template);
  });

  it.each([
    "ProcessOrderBatch",
    "ValidateV2Request",
    "billing.reconcile",
    "GET /orders/{id}",
    "GET /users/:id",
    "HTTP GET",
    "utf-8 decode",
    "sha-1 digest",
    "SELECT * FROM users WHERE id = ?",
    "*pineapple.honeydew.mango",
    "/api/v2/health",
    "kafka.consume orders-events",
  ])("leaves the legitimate name %s unchanged", (name) => {
    expect(deriveTemplate(name)).toBe(name);
  });

  it("keeps the producer's punctuation, so tokens join back to the template", () => {
    expect(templateTokens("GET /users/12345")).toEqual(["GET", " /", "users", "/", "{id}"]);
  });
});

describe("Drain clustering", () => {
  const merge = (a: { n: number }, b: { n: number }) => {
    a.n += b.n;
  };
  const options = { maxClusters: 10, similarity: 0.5, prefixDepth: 4 };

  it("merges names that differ only in data-like tokens into {*}", () => {
    const drain = new Drain(options, merge);
    for (const name of ["job ab12cd done", "job ef34gh done", "job zz99yy done"]) drain.add(templateTokens(name), () => ({ n: 0 }));
    expect(drain.clusters().map((c) => c.tokens.join(""))).toEqual(["job {*} done"]);
  });

  it("never merges names that differ in words", () => {
    const drain = new Drain(options, merge);
    for (const name of ["billing.reconcile", "billing.refund", "orders create", "orders cancel"]) drain.add(templateTokens(name), () => ({ n: 0 }));
    expect(drain.clusters().map((c) => c.tokens.join(""))).toEqual(["billing.reconcile", "billing.refund", "orders create", "orders cancel"]);
  });

  it("is bounded: past maxClusters a new template is refused (the caller counts overflow)", () => {
    const drain = new Drain({ ...options, maxClusters: 3 }, merge);
    const results = ["a", "b", "c", "d", "a"].map((w) => drain.add([w], () => ({ n: 0 })));
    expect(results.map((r) => r?.tokens[0])).toEqual(["a", "b", "c", undefined, "a"]);
    expect(drain.size).toBe(3);
  });

  it("merges a cluster from another shard into the matching one, summing payloads", () => {
    const drain = new Drain(options, merge);
    drain.add(templateTokens("GET /users/1"), () => ({ n: 2 }));
    expect(drain.addCluster(templateTokens("GET /users/77"), { n: 5 })).toBe(true);
    expect(drain.clusters()).toEqual([{ tokens: ["GET", " /", "users", "/", "{id}"], payload: { n: 7 } }]);
  });
});

describe("sketches", () => {
  it("HyperLogLog estimates 50 000 distinct values within 3 % and survives JSON", () => {
    const hll = new HyperLogLog(12);
    for (let i = 0; i < 50_000; i++) hll.add(hash64(`GET /users/${i}`));
    expect(Math.abs(hll.estimate() - 50_000) / 50_000).toBeLessThan(0.03);
    const copy = HyperLogLog.fromJSON(JSON.parse(JSON.stringify(hll.toJSON())));
    expect(copy.estimate()).toBe(hll.estimate());
  });

  it("HyperLogLog merge equals one sketch over the union", () => {
    const a = new HyperLogLog(12);
    const b = new HyperLogLog(12);
    const all = new HyperLogLog(12);
    for (let i = 0; i < 20_000; i++) {
      const h = hash64(`n${i}`);
      (i % 3 === 0 ? a : b).add(h);
      if (i % 5 === 0) a.add(h); // overlap must not be double counted
      all.add(h);
    }
    a.merge(b);
    expect(a.estimate()).toBe(all.estimate());
  });

  it("DistinctCounter is exact up to its cap, then switches to the sketch; merge stays exact under the cap", () => {
    const options = { exactCap: 100, precision: 12 };
    const a = new DistinctCounter(options);
    const b = new DistinctCounter(options);
    for (let i = 0; i < 60; i++) a.add(`x${i}`);
    for (let i = 30; i < 90; i++) b.add(`x${i}`);
    a.merge(JSON.parse(JSON.stringify(b.snapshot())));
    expect([a.count, a.isExact]).toEqual([90, true]);
    for (let i = 90; i < 5_000; i++) a.add(`x${i}`);
    expect(a.isExact).toBe(false);
    expect(Math.abs(a.count - 5_000)).toBeLessThan(250);
    expect(JSON.stringify(a.snapshot())).not.toContain("x1");
  });
});

describe("SQL names", () => {
  it("masks string and numeric literals and folds IN lists", () => {
    expect(maskSqlLiterals("SELECT * FROM users WHERE email = 'a@b.c' AND age > 30 AND id IN (1, 2, 3)")).toEqual({
      text: "SELECT * FROM users WHERE email = ? AND age > ? AND id IN (?)",
      literals: 5,
    });
    expect(maskSqlLiterals("SELECT count(1) FROM t1 WHERE id = ?").literals).toBe(0);
    expect(looksLikeSql("DELETE /users/1")).toBe(false);
    expect(sqlSemconvName("INSERT INTO orders (id) VALUES (7)")).toBe("INSERT orders");
  });
});

describe("Collector remediation", () => {
  it("builds an RE2 pattern (no backslashes) that matches the raw names of a template and nothing else", () => {
    const tokens = templateTokens("GET /users/12345");
    const pattern = templateRegex(tokens);
    expect(pattern).toBe("^GET /users/[^/?&= ]+$");
    const re = new RegExp(pattern);
    expect(["GET /users/1", "GET /users/3fa85f64-5717-4562-b3fc-2c963f66afa6"].every((n) => re.test(n))).toBe(true);
    expect(["GET /users/1/orders", "POST /users/1"].some((n) => re.test(n))).toBe(false);
    expect(templateRegex(templateTokens("queue://9/ABC.REPLY?name=912 send"))).toBe("^queue://[^/?&= ]+/ABC[.]REPLY[?]name=[^&# ]* send$");
  });

  it("emits a transform processor scoped to the service and kind, with `$` escaped for the Collector config", () => {
    expect(cardinalityFix("orders", 2, templateTokens("GET /users/12345"))).toContain(
      [
        "```yaml",
        "processors:",
        "  # add transform/span-names to the traces pipeline, before spanmetrics",
        "  transform/span-names:",
        "    error_mode: ignore",
        "    trace_statements:",
        "      - context: span",
        "        statements:",
        `          - 'replace_pattern(name, "^GET /users/[^/?&= ]+$$", "GET /users/{id}") where resource.attributes["service.name"] == "orders" and kind == SPAN_KIND_SERVER'`,
        "```",
      ].join("\n"),
    );
  });
});
