// Blocks written in the test with the RELEASED vParquet4 schema (tempo.md §4.5: IsArray +
// ValueUnsupported, list wrappers, well-known and dedicated columns) by hyparquet-writer, from spans
// made with the real OpenTelemetry SDK. Covers cross-block combining, orphans, compacted blocks,
// unknown formats, corrupt objects, sampling and one-row-group-at-a-time reading.
import { SpanKind } from "@opentelemetry/api";
import { ByteWriter, parquetWrite } from "hyparquet-writer";
import { parquetMetadata } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { builtinRules } from "../rules/index";
import { decodeInput } from "../src/decode/index";
import { resolveConfig } from "../src/engine/config";
import type { AttributeValue, Span } from "../src/model/span";
import { auditTempoBlocks, type ObjectSourceSection } from "../src/pipeline/object-audit";
import { discoverBlocks } from "../src/sources/blocks/discovery";
import { readerForFormat } from "../src/sources/blocks/formats";
import { readBlockTraces } from "../src/sources/blocks/read-block";
import type { S3ObjectStore } from "../src/storage/s3";
import { startS3rver, type RunningS3 } from "./support/s3rver";
import { hexBytes as hex, traceLevelColumns } from "./support/tempo-trace-row";

// ---- a minimal released-vParquet4 writer -------------------------------------------------------
type El = Record<string, unknown> & { name: string };
const leaf = (name: string, type: string, rep: "REQUIRED" | "OPTIONAL", extra: Record<string, unknown> = {}): El[] => [{ name, type, repetition_type: rep, ...extra }];
const str = (name: string, rep: "REQUIRED" | "OPTIONAL" = "REQUIRED") => leaf(name, "BYTE_ARRAY", rep, { converted_type: "UTF8" });
const group = (name: string, rep: "REQUIRED" | "OPTIONAL", children: El[][]): El[] => [
  { name, repetition_type: rep, num_children: children.length },
  ...children.flat(),
];
/** parquet-go's `list` tag: required group (LIST) { repeated group list { required element } }. */
const list = (name: string, element: El[]): El[] => {
  const [head, ...rest] = element;
  return [
    { name, repetition_type: "REQUIRED", converted_type: "LIST", num_children: 1 },
    { name: "list", repetition_type: "REPEATED", num_children: 1 },
    { ...head!, name: "element" },
    ...rest,
  ];
};
const u64 = (name: string) => leaf(name, "INT64", "REQUIRED", { converted_type: "UINT_64" });
const i64 = (name: string, rep: "REQUIRED" | "OPTIONAL" = "REQUIRED") => leaf(name, "INT64", rep, { converted_type: "INT_64" });
const i32 = (name: string) => leaf(name, "INT32", "REQUIRED", { converted_type: "INT_32" });
const attrs = (name: string) =>
  list(name, group("element", "REQUIRED", [
    str("Key"),
    leaf("IsArray", "BOOLEAN", "REQUIRED"),
    list("Value", str("element")),
    list("ValueInt", i64("element")),
    list("ValueDouble", leaf("element", "DOUBLE", "REQUIRED")),
    list("ValueBool", leaf("element", "BOOLEAN", "REQUIRED")),
    str("ValueUnsupported", "OPTIONAL"),
  ]));
const dedicated = () => group("DedicatedAttributes", "REQUIRED", [str("String01", "OPTIONAL"), str("String02", "OPTIONAL")]);

const SCHEMA: El[] = [
  { name: "Trace", num_children: 8 },
  ...leaf("TraceID", "BYTE_ARRAY", "REQUIRED"),
  ...str("TraceIDText"),
  ...u64("StartTimeUnixNano"),
  ...u64("EndTimeUnixNano"),
  ...u64("DurationNano"),
  ...str("RootServiceName"),
  ...str("RootSpanName"),
  // ServiceStats map<string,{SpanCount,ErrorCount}> is left out: tracelint never reads it.
  ...list("rs", group("element", "REQUIRED", [
    group("Resource", "REQUIRED", [attrs("Attrs"), i32("DroppedAttributesCount"), str("ServiceName"), str("Cluster", "OPTIONAL"), dedicated()]),
    list("ss", group("element", "REQUIRED", [
      group("Scope", "REQUIRED", [str("Name"), str("Version"), attrs("Attrs"), i32("DroppedAttributesCount")]),
      list("Spans", group("element", "REQUIRED", [
        leaf("SpanID", "BYTE_ARRAY", "REQUIRED"),
        leaf("ParentSpanID", "BYTE_ARRAY", "REQUIRED"),
        i32("ParentID"), i32("NestedSetLeft"), i32("NestedSetRight"),
        str("Name"), i64("Kind"), str("TraceState"), u64("StartTimeUnixNano"), u64("DurationNano"), i64("StatusCode"), str("StatusMessage"),
        attrs("Attrs"), i32("DroppedAttributesCount"),
        list("Events", group("element", "REQUIRED", [u64("TimeSinceStartNano"), str("Name"), attrs("Attrs"), i32("DroppedAttributesCount")])),
        i32("DroppedEventsCount"),
        list("Links", group("element", "REQUIRED", [leaf("TraceID", "BYTE_ARRAY", "REQUIRED"), leaf("SpanID", "BYTE_ARRAY", "REQUIRED"), str("TraceState"), attrs("Attrs"), i32("DroppedAttributesCount")])),
        i32("DroppedLinksCount"),
        str("HttpMethod", "OPTIONAL"), str("HttpUrl", "OPTIONAL"), i64("HttpStatusCode", "OPTIONAL"),
        dedicated(),
      ])),
    ])),
  ])),
];

const attrRow = (key: string, v: AttributeValue) => {
  const base = { Key: key, IsArray: false, Value: [] as string[], ValueInt: [] as bigint[], ValueDouble: [] as number[], ValueBool: [] as boolean[], ValueUnsupported: null as string | null };
  if (typeof v === "string") base.Value = [v];
  else if (typeof v === "number" && Number.isInteger(v)) base.ValueInt = [BigInt(v)];
  else if (typeof v === "number") base.ValueDouble = [v];
  else if (typeof v === "boolean") base.ValueBool = [v];
  else if (Array.isArray(v) && v.every((x) => typeof x === "string")) Object.assign(base, { IsArray: true, Value: v });
  else base.ValueUnsupported = JSON.stringify({ stringValue: String(v) });
  return base;
};
/** Tempo's conversion: well-known and dedicated attributes move to their own columns. */
const RES_DEDICATED = ["deployment.environment"];
const SPAN_DEDICATED = ["http.route", "user.tier"];
const DEDICATED_META = [{ s: "resource", n: "deployment.environment" }, { n: "http.route" }, { n: "user.tier" }];

function splitAttrs(map: ReadonlyMap<string, AttributeValue>, dedicatedKeys: string[], wellKnown: string[]) {
  const generic: ReturnType<typeof attrRow>[] = [];
  const ded: Record<string, string | null> = { String01: null, String02: null };
  const known: Record<string, AttributeValue> = {};
  for (const [k, v] of map) {
    const d = dedicatedKeys.indexOf(k);
    if (d >= 0 && typeof v === "string") ded[`String0${d + 1}`] = v;
    else if (wellKnown.includes(k)) known[k] = v;
    else generic.push(attrRow(k, v));
  }
  return { generic, ded, known };
}

function traceRow(traceId: string, spans: Span[]) {
  const byService = new Map<string, Span[]>();
  for (const s of spans) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
  return {
    ...traceLevelColumns(traceId, spans),
    rs: [...byService.values()].map((group) => {
      const r = splitAttrs(group[0]!.resource.attributes, RES_DEDICATED, ["service.name"]);
      return {
        Resource: { Attrs: r.generic, DroppedAttributesCount: 0, ServiceName: group[0]!.service, Cluster: null, DedicatedAttributes: r.ded },
        ss: [{
          Scope: { Name: group[0]!.scope.name, Version: group[0]!.scope.version, Attrs: [], DroppedAttributesCount: 0 },
          Spans: group.map((s) => {
            const a = splitAttrs(s.attributes, SPAN_DEDICATED, ["http.method"]);
            return {
              SpanID: hex(s.spanId), ParentSpanID: hex(s.parentSpanId),
              ParentID: 0, NestedSetLeft: 0, NestedSetRight: 0, // nested set not computed: 0 = unknown
              Name: s.name, Kind: BigInt(s.kind), TraceState: s.traceState,
              StartTimeUnixNano: s.startTimeUnixNano, DurationNano: s.endTimeUnixNano - s.startTimeUnixNano,
              StatusCode: BigInt(s.status.code), StatusMessage: s.status.message,
              Attrs: a.generic, DroppedAttributesCount: 0,
              Events: s.events.map((e) => ({ TimeSinceStartNano: e.timeUnixNano - s.startTimeUnixNano, Name: e.name, Attrs: [...e.attributes].map(([k, v]) => attrRow(k, v)), DroppedAttributesCount: 0 })),
              DroppedEventsCount: 0, Links: [], DroppedLinksCount: 0,
              HttpMethod: typeof a.known["http.method"] === "string" ? a.known["http.method"] : null, HttpUrl: null, HttpStatusCode: null,
              DedicatedAttributes: a.ded,
            };
          }),
        }],
      };
    }),
  };
}

/** Writes spans as a released-vParquet4 data.parquet: one row per trace, sorted by TraceID. */
function writeBlock(spans: Span[], rowGroupSize = 1000): Uint8Array {
  const byTrace = new Map<string, Span[]>();
  for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
  const rows = [...byTrace].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, ss]) => traceRow(id, ss));
  const names = ["TraceID", "TraceIDText", "StartTimeUnixNano", "EndTimeUnixNano", "DurationNano", "RootServiceName", "RootSpanName", "rs"] as const;
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    schema: SCHEMA as never,
    columnData: names.map((name) => ({ name, data: rows.map((r) => r[name]) as never })),
    rowGroupSize,
    statistics: false,
  });
  return new Uint8Array(writer.getBuffer());
}

function metaJson(blockId: string, format: string, body: Uint8Array | undefined, start: string, end: string): string {
  return JSON.stringify({
    format, blockID: blockId, tenantID: "acme", startTime: start, endTime: end, totalObjects: 0,
    ...(body ? { size: body.byteLength, footerSize: new DataView(body.buffer, body.byteOffset + body.byteLength - 8, 4).getUint32(0, true) } : {}),
    compactionLevel: 0, totalRecords: 1, bloomShards: 1, dedicatedColumns: DEDICATED_META,
  });
}

// ---- scenario, recorded with the real SDK ---------------------------------------------------------
const EPOCH = Date.UTC(2026, 4, 3, 14, 0, 0);
const WINDOW = { start: new Date(EPOCH - 3600_000), end: new Date(EPOCH + 3600_000) };
const BLOCK_A = "aaaaaaaa-0000-4000-8000-000000000001";
const BLOCK_B = "bbbbbbbb-0000-4000-8000-000000000002";

async function scenario() {
  const rec = new TraceRecorder({ seed: 42, epochMs: EPOCH });
  const gateway = rec.tracer("gateway", { resource: { "deployment.environment": "prod" } });
  const orders = rec.tracer("orders", { resource: { "deployment.environment": "prod" } });
  const billing = rec.tracer("billing");

  // T-split: gateway → orders in block A; billing's span (child of orders) arrives late, in block B.
  const root = gateway.startSpan("GET /orders", { kind: SpanKind.SERVER, startTime: rec.time(0), attributes: { "http.method": "GET", "http.route": "/orders", "user.tier": "gold" } });
  const server = orders.startSpan("list orders", { kind: SpanKind.SERVER, startTime: rec.time(5) }, rec.extract(rec.inject(root)));
  const late = billing.startSpan("charge", { kind: SpanKind.SERVER, startTime: rec.time(8) }, rec.extract(rec.inject(server)));
  late.end(rec.time(12));
  server.end(rec.time(20));
  root.end(rec.time(30));

  // T-orphan: a middle span is never exported (lost), so its child is an orphan in every block.
  const lost = gateway.startSpan("GET /lost", { kind: SpanKind.SERVER, startTime: rec.time(100) });
  const middle = gateway.startSpan("call orders", { kind: SpanKind.CLIENT, startTime: rec.time(101) }, rec.within(lost));
  const child = orders.startSpan("handle", { kind: SpanKind.SERVER, startTime: rec.time(105) }, rec.extract(rec.inject(middle)));
  child.end(rec.time(110));
  lost.end(rec.time(120));

  // Healthy traces filling block B.
  for (let i = 0; i < 3; i++) {
    const r = gateway.startSpan(`GET /items/${i}`, { kind: SpanKind.SERVER, startTime: rec.time(200 + i) });
    const c = orders.startSpan("items", { kind: SpanKind.SERVER, startTime: rec.time(201 + i) }, rec.extract(rec.inject(r)));
    c.end(rec.time(205 + i));
    r.end(rec.time(210 + i));
  }
  const decoded = await decodeInput(rec.toOtlpJson(), { name: "sdk" });
  const spans = decoded.spans;
  const splitTrace = root.spanContext().traceId;
  const lateId = late.spanContext().spanId;
  const orphanTrace = lost.spanContext().traceId;
  const blockA = spans.filter((s) => (s.traceId === splitTrace && s.spanId !== lateId) || s.traceId === orphanTrace);
  // Block B repeats one span of block A (an RF copy) to check the (spanID, kind) de-dup.
  const blockB = spans.filter((s) => !blockA.includes(s) || s.spanId === root.spanContext().spanId);
  return { spans, blockA, blockB, splitTrace, orphanTrace, childSpan: child.spanContext().spanId };
}

let s3: RunningS3;
let store: S3ObjectStore;
let sc: Awaited<ReturnType<typeof scenario>>;
const STRUCTURE_RULES = ["orphan-span", "missing-root", "multiple-roots", "duplicate-span-id", "invalid-span-context", "parent-cycle", "invalid-timestamps", "partial-trace"];
const config = () => resolveConfig({}, builtinRules, "defaults");

beforeAll(async () => {
  sc = await scenario();
  s3 = await startS3rver(["tempo-blocks"]);
  store = s3.store("tempo-blocks");
  const t0 = new Date(EPOCH).toISOString().replace(".000", "");
  const t1 = new Date(EPOCH + 60_000).toISOString().replace(".000", "");
  const a = writeBlock(sc.blockA);
  const b = writeBlock(sc.blockB);
  await store.put(`acme/${BLOCK_A}/data.parquet`, a);
  await store.put(`acme/${BLOCK_A}/meta.json`, new TextEncoder().encode(metaJson(BLOCK_A, "vParquet4", a, t0, t1)));
  await store.put(`acme/${BLOCK_B}/data.parquet`, b);
  await store.put(`acme/${BLOCK_B}/meta.json`, new TextEncoder().encode(metaJson(BLOCK_B, "vParquet4", b, t0, t1)));
  // Compacted: its data lives in newer blocks; reading it would double-count.
  await store.put(`acme/cccccccc-0000-4000-8000-000000000003/data.parquet`, a);
  await store.put(`acme/cccccccc-0000-4000-8000-000000000003/meta.compacted.json`, new TextEncoder().encode(metaJson("cccccccc-0000-4000-8000-000000000003", "vParquet4", a, t0, t1)));
  // Hand-written metas: a legacy format and a block whose data is not Parquet.
  await store.put(`acme/dddddddd-0000-4000-8000-000000000004/meta.json`, new TextEncoder().encode(metaJson("dddddddd-0000-4000-8000-000000000004", "v2", undefined, t0, t1)));
  const corrupt = new TextEncoder().encode("PAR1 this is not a parquet file PAR1");
  await store.put(`acme/eeeeeeee-0000-4000-8000-000000000005/data.parquet`, corrupt);
  await store.put(`acme/eeeeeeee-0000-4000-8000-000000000005/meta.json`, new TextEncoder().encode(metaJson("eeeeeeee-0000-4000-8000-000000000005", "vParquet4", corrupt, t0, t1)));
  // An in-progress block: data written, meta.json not yet — it does not exist.
  await store.put(`acme/ffffffff-0000-4000-8000-000000000006/data.parquet`, a);
});
afterAll(async () => {
  await s3?.stop();
});

describe("Tempo blocks written with the released vParquet4 schema", () => {
  it("reads them back span for span, mapping dedicated and well-known columns to attribute keys", async () => {
    const discovery = await discoverBlocks(store, { prefix: "", tenant: "acme", window: WINDOW });
    const block = discovery.blocks.find((b) => b.meta.blockId === BLOCK_A)!;
    const read: Span[] = [];
    for await (const t of readBlockTraces(store, block, readerForFormat("vParquet4")!)) read.push(...t.spans);
    expect(read).toHaveLength(sc.blockA.length);
    const original = sc.blockA.find((s) => s.name === "GET /orders")!;
    const back = read.find((s) => s.spanId === original.spanId)!;
    expect(back).toMatchObject({ traceId: original.traceId, parentSpanId: "", name: "GET /orders", kind: 2, service: "gateway", startTimeUnixNano: original.startTimeUnixNano, endTimeUnixNano: original.endTimeUnixNano });
    expect(back.attributes.get("http.route")).toBe("/orders");
    expect(back.attributes.get("user.tier")).toBe("gold");
    expect(back.attributes.get("http.method")).toBe("GET");
    expect(back.resource.attributes.get("deployment.environment")).toBe("prod");
    expect(back.resource.attributes.get("service.name")).toBe("gateway");
    expect(back.scope.name).toBe("gateway-instrumentation");
  });

  it("combines a trace split across overlapping blocks (no false orphan), finds the real orphan, and records what it skipped", async () => {
    const report = await auditTempoBlocks(store, config(), { location: "s3://tempo-blocks", prefix: "", tenant: "acme", window: WINDOW });
    const source = (report as unknown as { source: ObjectSourceSection }).source;
    expect(report.summary.traces).toBe(5);
    expect(report.summary.spans).toBe(sc.spans.length); // the RF duplicate was dropped
    expect(source.skipped).toMatchObject({ compactedBlocks: 1, duplicateSpans: 1 });
    // Exactly one structure finding: the real orphan. Read alone, block B would make billing's
    // span an orphan and its trace rootless; combined, the split trace is whole.
    const structure = report.findings.filter((f) => STRUCTURE_RULES.includes(f.ruleId));
    expect(structure.map((f) => [f.ruleId, f.occurrences, f.service, f.examples[0]?.traceId, f.examples[0]?.spanId])).toEqual([
      ["orphan-span", 1, "orders", sc.orphanTrace, sc.childSpan],
    ]);

    const byKey = Object.fromEntries(source.objects.map((o) => [o.key.split("/")[1]!.slice(0, 8), o]));
    expect(Object.keys(byKey).sort()).toEqual(["aaaaaaaa", "bbbbbbbb", "dddddddd", "eeeeeeee"]);
    expect(byKey.aaaaaaaa).toMatchObject({ status: "read", format: "vParquet4", rowGroups: { total: 1, read: 1 }, traces: 2 });
    expect(byKey.aaaaaaaa!.bytes).toBeGreaterThan(0);
    expect(byKey.dddddddd).toMatchObject({ status: "skipped", format: "v2", message: 'unsupported block format "v2" (supported: vParquet3, vParquet4, vParquet5)' });
    expect(byKey.eeeeeeee).toMatchObject({ status: "failed" });
    expect(source.failures.map((f) => f.key.split("/")[1]!.slice(0, 8)).sort()).toEqual(["dddddddd", "eeeeeeee"]);
    expect(source.failures.find((f) => f.key.includes("eeeeeeee"))!.message).toMatch(/parquet/i);
    // Object bytes plus the meta.json GETs made while listing.
    expect(source.bytesRead).toBeGreaterThan(source.objects.reduce((n, o) => n + o.bytes, 0));
    expect(report.summary.inputErrors.map((e) => e.file).sort()).toEqual([
      "acme/dddddddd-0000-4000-8000-000000000004/data.parquet",
      "acme/eeeeeeee-0000-4000-8000-000000000005/data.parquet",
    ]);
  });

  it("samples whole traces consistently across blocks, so sampling adds no orphans", async () => {
    const full = await auditTempoBlocks(store, config(), { location: "s3://tempo-blocks", prefix: "", tenant: "acme", window: WINDOW });
    const half = await auditTempoBlocks(store, config(), { location: "s3://tempo-blocks", prefix: "", tenant: "acme", window: WINDOW, sample: { fraction: 0.5, unit: "traces" } });
    const source = (half as unknown as { source: ObjectSourceSection }).source;
    expect(source.sample).toEqual({ fraction: 0.5, unit: "traces" });
    expect(half.summary.traces).toBeLessThan(full.summary.traces);
    expect(half.summary.traces).toBeGreaterThan(0);
    const orphanCount = (r: typeof full) => r.findings.filter((f) => f.ruleId === "orphan-span").reduce((n, f) => n + f.occurrences, 0);
    expect(orphanCount(half)).toBeLessThanOrEqual(1);
  });
});

/** A block of 12 one-span traces (real SDK spans) in 4 row groups of 3. */
async function twelveTraceBlock(seed: number): Promise<Uint8Array> {
  const rec = new TraceRecorder({ seed, epochMs: EPOCH });
  const svc = rec.tracer("svc");
  for (let i = 0; i < 12; i++) svc.startSpan(`op ${i}`, { kind: SpanKind.SERVER, startTime: rec.time(i) }).end(rec.time(i + 1));
  return writeBlock((await decodeInput(rec.toOtlpJson(), { name: "sdk" })).spans, 3);
}

async function putBlock(tenant: string, id: string, body: Uint8Array): Promise<void> {
  await store.put(`${tenant}/${id}/data.parquet`, body);
  await store.put(`${tenant}/${id}/meta.json`, new TextEncoder().encode(metaJson(id, "vParquet4", body, new Date(EPOCH).toISOString(), new Date(EPOCH + 60_000).toISOString())));
}

/** The byte range [start, end) of a row group's column chunks. */
function rowGroupRange(group: ReturnType<typeof parquetMetadata>["row_groups"][number]): readonly [number, number] {
  const starts = group.columns.map((c) => Number(c.meta_data!.dictionary_page_offset ?? c.meta_data!.data_page_offset));
  const ends = group.columns.map((c, i) => starts[i]! + Number(c.meta_data!.total_compressed_size));
  return [Math.min(...starts), Math.max(...ends)];
}

describe("bounded memory", () => {
  it("fetches and decodes one row group at a time, only inside that row group's byte range", async () => {
    const body = await twelveTraceBlock(9);
    await putBlock("mem", "12121212-0000-4000-8000-000000000007", body);
    const metadata = parquetMetadata(body.slice().buffer);
    const ranges = metadata.row_groups.map(rowGroupRange);
    expect(ranges).toHaveLength(4);

    const log: string[] = [];
    const discovery = await discoverBlocks(store, { prefix: "", tenant: "mem", window: WINDOW });
    let current = -1;
    const reads: { group: number; start: number; end: number }[] = [];
    const traces = readBlockTraces(store, discovery.blocks[0]!, readerForFormat("vParquet4")!, {
      onRowGroup: (e) => {
        current = e.index;
        log.push(`group ${e.index}`);
      },
      onRead: (r) => reads.push({ group: current, ...r }),
    });
    for await (const t of traces) log.push(`trace ${t.spans.length}`);
    // Each row group's 3 traces are handed out before the next row group is touched.
    expect(log).toEqual([0, 1, 2, 3].flatMap((g) => [`group ${g}`, "trace 1", "trace 1", "trace 1"]));
    // Apart from the footer (read before any group), every read lies inside the current group.
    const dataReads = reads.filter((r) => r.group >= 0);
    expect(new Set(dataReads.map((r) => r.group))).toEqual(new Set([0, 1, 2, 3]));
    for (const r of dataReads) {
      const [lo, hi] = ranges[r.group]!;
      expect(r.start).toBeGreaterThanOrEqual(lo);
      expect(r.end).toBeLessThanOrEqual(hi);
    }
    expect(reads.filter((r) => r.group === -1)).toEqual([{ group: -1, start: body.byteLength - metadata.metadata_length - 8, end: body.byteLength }]);
  });
});

describe("a block that fails part-way", () => {
  it("keeps the traces of the row groups read before the failure and says where it stopped", async () => {
    const body = await twelveTraceBlock(11);
    // Garbage over the third row group's column chunks: its pages no longer decode.
    body.fill(0xff, ...rowGroupRange(parquetMetadata(body.slice().buffer).row_groups[2]!));
    const id = "13131313-0000-4000-8000-000000000008";
    await putBlock("broken", id, body);

    const problems: string[] = [];
    const report = await auditTempoBlocks(store, config(), {
      location: "s3://tempo-blocks",
      prefix: "",
      tenant: "broken",
      window: WINDOW,
      onProblem: (key, message) => problems.push(`${key}: ${message}`),
    });
    const source = (report as unknown as { source: ObjectSourceSection }).source;
    expect(report.summary.traces).toBe(6);
    expect(source.objects).toEqual([
      expect.objectContaining({ key: `broken/${id}/data.parquet`, status: "failed", rowGroups: { total: 4, read: 2 }, traces: 6, spans: 6 }),
    ]);
    expect(source.failures).toHaveLength(1);
    expect(source.failures[0]!.message).toMatch(/^row group 3 of 4 cannot be read: .+ \(stopped after 2 row group\(s\)\)$/);
    expect(problems).toEqual([`broken/${id}/data.parquet: ${source.failures[0]!.message}`]);
    expect(report.summary.inputErrors).toEqual([{ file: `broken/${id}/data.parquet`, message: source.failures[0]!.message }]);
  });
});
