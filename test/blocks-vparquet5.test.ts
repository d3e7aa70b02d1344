// Released vParquet5 blocks (no LIST wrappers, repeated dedicated String/Int columns for resource,
// span and event scopes, options, ServiceStats as a repeated group), written by
// test/support/vparquet5-parquet.ts from spans recorded with the real OpenTelemetry SDK, read
// back on s3rver. Asserts the exact round trip of spans and attributes (dedicated columns mapped
// back to their keys and types) and that the findings equal a `check` of the same SDK export.
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { parquetMetadata } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { builtinRules } from "../rules/index";
import { decodeInput } from "../src/decode/index";
import { resolveConfig } from "../src/engine/config";
import type { AttributeValue, Span } from "../src/model/span";
import { checkInputs } from "../src/pipeline/check";
import { auditTempoBlocks, type ObjectSourceSection } from "../src/pipeline/object-audit";
import { dedicatedMapping } from "../src/sources/blocks/dedicated";
import { discoverBlocks } from "../src/sources/blocks/discovery";
import { readerForFormat } from "../src/sources/blocks/formats";
import { parseBlockMeta } from "../src/sources/blocks/meta";
import { readBlockTraces } from "../src/sources/blocks/read-block";
import type { S3ObjectStore } from "../src/storage/s3";
import { startS3rver, type RunningS3 } from "./support/s3rver";
import { DEFAULT_DEDICATED_COLUMNS, vParquet5MetaJson, writeVParquet5Block, type DedicatedColumnJson } from "./support/vparquet5-parquet";

const EPOCH = Date.UTC(2026, 4, 3, 14, 0, 0);
const WINDOW = { start: new Date(EPOCH - 3600_000), end: new Date(EPOCH + 3600_000) };
const BLOCK_A = "5a5a5a5a-0000-4000-8000-000000000001";
const BLOCK_B = "5b5b5b5b-0000-4000-8000-000000000002";

/**
 * Tempo's default columns for new blocks, plus columns with options placed BEFORE defaults of the
 * same scope and type (vParquet5 counts them when numbering slots; vParquet4 skips them), ints
 * for the resource and event scopes, and an event string column.
 */
const DEDICATED: DedicatedColumnJson[] = [
  ...DEFAULT_DEDICATED_COLUMNS.slice(0, 4), // resource String01..04: k8s.cluster/namespace/pod/container
  { s: "resource", n: "host.cpu.count", t: "int" }, // resource Int01
  DEFAULT_DEDICATED_COLUMNS[4]!, // span String01 http.request.method
  { n: "feature.flags", o: ["array"] }, // span String02
  { n: "request.body", o: ["blob"] }, // span String03
  ...DEFAULT_DEDICATED_COLUMNS.slice(5), // http.response.status_code Int01, url.path String04, …, http.status_code Int03
  { n: "retry.delays_ms", t: "int", o: ["array"] }, // span Int04
  { s: "event", n: "exception.type" }, // event String01
  { s: "event", n: "retry.attempt", t: "int" }, // event Int01
];

async function scenario() {
  const rec = new TraceRecorder({ seed: 55, epochMs: EPOCH });
  const web = rec.tracer("web", { resource: { "k8s.namespace.name": "shop", "k8s.pod.name": "web-7d9f", "host.cpu.count": 8, "deployment.environment": "prod" } });
  // Wrong type for an int column: stays in the generic attributes.
  const payments = rec.tracer("payments", { resource: { "k8s.namespace.name": "shop", "host.cpu.count": "eight" } });
  const orders = rec.tracer("orders");

  // T1: web → payments, payments' span arrives late (block B). Every kind of value.
  const root = web.startSpan("POST /checkout", {
    kind: SpanKind.SERVER,
    startTime: rec.time(0),
    attributes: {
      "http.request.method": "POST",
      "http.route": "/checkout",
      "url.path": "/checkout",
      "http.response.status_code": 200,
      "server.address": "shop.example",
      "server.port": 443,
      "feature.flags": ["beta", "dark-mode"],
      "request.body": '{"items":3}',
      "retry.delays_ms": [100, 250, 400],
      tags: ["a", "b"],
      ratio: 0.25,
      "cache.hit": true,
      "empty.list": [],
      "mixed.bools": [true, false],
    },
  });
  root.addEvent("retry", { "retry.attempt": 2, "exception.type": "Timeout", note: "slow upstream" }, rec.time(3));
  root.addEvent("exception", { "exception.type": "IOError", "exception.message": "reset" }, rec.time(4));
  const call = web.startSpan("POST payments", { kind: SpanKind.CLIENT, startTime: rec.time(5), attributes: { "http.request.method": "POST", "server.address": "payments", "server.port": 8443, "feature.flags": ["beta"] } }, rec.within(root));
  const charge = payments.startSpan("POST /charge", {
    kind: SpanKind.SERVER,
    startTime: rec.time(6),
    attributes: { "http.route": "/charge", "http.response.status_code": "201" }, // string: not dedicated
  }, rec.extract(rec.inject(call)));
  charge.setStatus({ code: SpanStatusCode.ERROR, message: "card declined" });
  charge.end(rec.time(12));
  call.end(rec.time(14));
  root.end(rec.time(20));

  // T2: a middle span is never exported, so its child is an orphan.
  const lost = web.startSpan("GET /lost", { kind: SpanKind.SERVER, startTime: rec.time(100) });
  const middle = web.startSpan("call orders", { kind: SpanKind.CLIENT, startTime: rec.time(101) }, rec.within(lost));
  const child = orders.startSpan("handle", { kind: SpanKind.SERVER, startTime: rec.time(105), links: [{ context: root.spanContext(), attributes: { "link.reason": "retry-of" } }] }, rec.extract(rec.inject(middle)));
  child.end(rec.time(110));
  lost.end(rec.time(120));

  // T3: a healthy single-service trace.
  const solo = orders.startSpan("GET /orders/{id}", { kind: SpanKind.SERVER, startTime: rec.time(200), attributes: { "http.route": "/orders/{id}", "http.response.status_code": 404 } });
  orders.startSpan("SELECT orders", { kind: SpanKind.CLIENT, startTime: rec.time(201) }, rec.within(solo)).end(rec.time(204));
  solo.end(rec.time(205));

  const json = rec.toOtlpJson();
  const spans = (await decodeInput(json, { name: "sdk" })).spans;
  const lateId = charge.spanContext().spanId;
  return {
    json,
    spans,
    // Block A: T1 without its late span, T2. Block B: the late span, one RF copy of T1's root, T3.
    blockA: spans.filter((s) => s.spanId !== lateId && s.traceId !== solo.spanContext().traceId),
    blockB: spans.filter((s) => s.spanId === lateId || s.spanId === root.spanContext().spanId || s.traceId === solo.spanContext().traceId),
    ids: { root: root.spanContext().spanId, call: call.spanContext().spanId, charge: lateId, orphanTrace: lost.spanContext().traceId, orphan: child.spanContext().spanId },
  };
}

let s3: RunningS3;
let store: S3ObjectStore;
let sc: Awaited<ReturnType<typeof scenario>>;
let bodyA: Uint8Array;
const config = () => resolveConfig({}, builtinRules, "defaults");
const sorted = (m: ReadonlyMap<string, AttributeValue>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

beforeAll(async () => {
  sc = await scenario();
  s3 = await startS3rver(["tempo-v5"]);
  store = s3.store("tempo-v5");
  const t0 = new Date(EPOCH).toISOString().replace(".000", "");
  const t1 = new Date(EPOCH + 60_000).toISOString().replace(".000", "");
  bodyA = writeVParquet5Block(sc.blockA, { dedicatedColumns: DEDICATED });
  // Block B: every column zstd (Tempo uses zstd for `blob` columns), read through fzstd.
  const bodyB = writeVParquet5Block(sc.blockB, { dedicatedColumns: DEDICATED, codec: "ZSTD" });
  await store.put(`acme/${BLOCK_A}/data.parquet`, bodyA);
  await store.put(`acme/${BLOCK_A}/meta.json`, new TextEncoder().encode(vParquet5MetaJson(BLOCK_A, "acme", bodyA, t0, t1, DEDICATED)));
  await store.put(`acme/${BLOCK_B}/data.parquet`, bodyB);
  await store.put(`acme/${BLOCK_B}/meta.json`, new TextEncoder().encode(vParquet5MetaJson(BLOCK_B, "acme", bodyB, t0, t1, DEDICATED)));
});
afterAll(async () => {
  await s3?.stop();
});

async function readAll(): Promise<Span[]> {
  const discovery = await discoverBlocks(store, { prefix: "", tenant: "acme", window: WINDOW });
  const out: Span[] = [];
  for (const block of discovery.blocks) for await (const t of readBlockTraces(store, block, readerForFormat(block.meta.format)!)) out.push(...t.spans);
  return out;
}

describe("released vParquet5 blocks", () => {
  it("are written without LIST wrappers, with only the dedicated columns in use", () => {
    const paths = parquetMetadata(bodyA.slice().buffer).row_groups[0]!.columns.map((c) => c.meta_data!.path_in_schema.join("."));
    expect(paths.filter((p) => p.includes("list") || p.includes("element"))).toEqual([]);
    expect(paths).toContain("rs.ss.Spans.Attrs.Value");
    expect(paths).toContain("ServiceStats.ServiceName");
    expect(paths).toContain("rs.ss.Spans.ChildCount");
    expect(paths).toContain("rs.ss.SpanCount");
    expect(paths.filter((p) => p.includes("DedicatedAttributes"))).toEqual([
      ...["String01", "String02", "String03", "String04", "Int01"].map((f) => `rs.Resource.DedicatedAttributes.${f}`),
      ...["String01", "Int01"].map((f) => `rs.ss.Spans.Events.DedicatedAttributes.${f}`),
      ...Array.from({ length: 9 }, (_, i) => `rs.ss.Spans.DedicatedAttributes.String0${i + 1}`),
      ...Array.from({ length: 4 }, (_, i) => `rs.ss.Spans.DedicatedAttributes.Int0${i + 1}`),
    ]);
  });

  it("read back span for span: every field, every attribute with its type, dedicated columns under their keys", async () => {
    const read = await readAll();
    expect(read).toHaveLength(sc.spans.length + 1); // + the RF copy of T1's root in block B
    const byId = new Map(read.map((s) => [`${s.spanId}:${s.traceId}`, s]));
    for (const original of sc.spans) {
      const back = byId.get(`${original.spanId}:${original.traceId}`)!;
      expect(back, original.name).toBeDefined();
      expect({ ...back, attributes: sorted(back.attributes), resource: sorted(back.resource.attributes), scope: [back.scope.name, back.scope.version], events: back.events.map((e) => ({ ...e, attributes: sorted(e.attributes) })), links: back.links.map((l) => ({ ...l, attributes: sorted(l.attributes), flags: 0 })), flags: 0 }).toEqual({
        ...original,
        // Released Tempo (≥ 2.10) ignores the `array` option: one value reads back as a scalar.
        attributes: sorted(new Map([...original.attributes].map(([k, v]) => [k, k === "feature.flags" && Array.isArray(v) && v.length === 1 ? v[0]! : v]))),
        resource: sorted(original.resource.attributes),
        scope: [original.scope.name, original.scope.version],
        events: original.events.map((e) => ({ ...e, attributes: sorted(e.attributes) })),
        links: original.links.map((l) => ({ ...l, attributes: sorted(l.attributes), flags: 0 })),
        flags: 0, // Tempo's Parquet schemas do not keep span flags
      });
    }
    const root = read.find((s) => s.spanId === sc.ids.root)!;
    // Types survive: ints from Int columns, int arrays, string arrays, doubles, bools, empty arrays.
    expect(root.attributes.get("http.response.status_code")).toBe(200);
    expect(root.attributes.get("server.port")).toBe(443);
    expect(root.attributes.get("retry.delays_ms")).toEqual([100, 250, 400]);
    expect(root.attributes.get("feature.flags")).toEqual(["beta", "dark-mode"]);
    expect(root.attributes.get("request.body")).toBe('{"items":3}');
    expect(root.attributes.get("empty.list")).toEqual([]);
    expect(root.events[0]!.attributes.get("retry.attempt")).toBe(2);
    expect(root.events[0]!.attributes.get("exception.type")).toBe("Timeout");
    expect(root.resource.attributes.get("host.cpu.count")).toBe(8);
    // Tempo's order: generic attributes, then dedicated in meta order; resource ends with service.name.
    expect([...root.attributes.keys()].slice(-9)).toEqual(["http.request.method", "feature.flags", "request.body", "http.response.status_code", "url.path", "server.address", "server.port", "http.route", "retry.delays_ms"]);
    expect([...root.resource.attributes.keys()].slice(-4)).toEqual(["k8s.namespace.name", "k8s.pod.name", "host.cpu.count", "service.name"]);
    expect(read.find((s) => s.spanId === sc.ids.call)!.attributes.get("feature.flags")).toBe("beta");
    const charge = read.find((s) => s.spanId === sc.ids.charge)!;
    expect(charge.attributes.get("http.response.status_code")).toBe("201");
    expect(charge.resource.attributes.get("host.cpu.count")).toBe("eight");
  });

  it("audit: the split trace is combined across blocks and the findings equal a check of the SDK export", async () => {
    const report = await auditTempoBlocks(store, config(), { location: "s3://tempo-v5", prefix: "", tenant: "acme", window: WINDOW });
    const source = (report as unknown as { source: ObjectSourceSection }).source;
    expect(source.objects.map((o) => [o.format, o.status, o.traces])).toEqual([
      ["vParquet5", "read", 2],
      ["vParquet5", "read", 2],
    ]);
    expect(source.skipped).toMatchObject({ duplicateSpans: 1 });
    expect(report.summary).toMatchObject({ traces: 3, spans: sc.spans.length });
    const structure = report.findings.filter((f) => ["orphan-span", "missing-root", "multiple-roots", "duplicate-span-id", "parent-cycle", "partial-trace"].includes(f.ruleId));
    expect(structure.map((f) => [f.ruleId, f.occurrences, f.service, f.examples[0]?.traceId, f.examples[0]?.spanId])).toEqual([
      ["orphan-span", 1, "orders", sc.ids.orphanTrace, sc.ids.orphan],
    ]);
    const check = await checkInputs([{ name: "sdk.json", read: async () => sc.json }], config());
    const strip = (r: typeof report) => r.findings.map((f) => ({ ...f }));
    expect(strip(report)).toEqual(strip(check));
  });
});

describe("dedicated columns with options (Tempo dedicatedColumnsToColumnMapping)", () => {
  const meta = parseBlockMeta(JSON.stringify({ format: "vParquet5", blockID: BLOCK_A, startTime: "2026-05-03T14:00:00Z", endTime: "2026-05-03T14:01:00Z", dedicatedColumns: DEDICATED }), "acme");
  it("vParquet5 counts entries with options when numbering slots, per scope and type", () => {
    const m = dedicatedMapping(meta.dedicatedColumns, { strings: 20, ints: 5, allowOptions: true });
    expect(m.span.map((s) => `${s.field}=${s.key}`)).toEqual([
      "String01=http.request.method", "String02=feature.flags", "String03=request.body", "Int01=http.response.status_code",
      "String04=url.path", "String05=url.route", "String06=server.address", "Int02=server.port",
      "String07=http.method", "String08=http.url", "String09=http.route", "Int03=http.status_code", "Int04=retry.delays_ms",
    ]);
    expect(m.resource.map((s) => `${s.field}=${s.key}`)).toEqual(["String01=k8s.cluster.name", "String02=k8s.namespace.name", "String03=k8s.pod.name", "String04=k8s.container.name", "Int01=host.cpu.count"]);
    expect(m.event.map((s) => `${s.field}=${s.key}`)).toEqual(["String01=exception.type", "Int01=retry.attempt"]);
  });

  it("vParquet4 skips entries with options and int columns without using a slot", () => {
    const m = dedicatedMapping(meta.dedicatedColumns, { strings: 10, ints: 0, allowOptions: false });
    expect(m.span.map((s) => `${s.field}=${s.key}`)).toEqual([
      "String01=http.request.method", "String02=url.path", "String03=url.route", "String04=server.address",
      "String05=http.method", "String06=http.url", "String07=http.route",
    ]);
  });
});
