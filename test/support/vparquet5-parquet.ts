// Writes Tempo blocks in the RELEASED vParquet5 schema (tempo.md §4.5; Tempo
// `tempodb/encoding/vparquet5/schema.go` and `dedicated_columns.go`) from canonical spans, for tests.
//
// What Tempo's writer does, re-implemented here independently of src/ (so the reader is checked
// against the format, not against itself):
// * no LIST wrappers: `rs`, `rs.ss`, `rs.ss.Spans`, `Attrs`, `Attrs.Value`, `DedicatedAttributes.String01`
//   … are plain REPEATED groups/leaves; `ServiceStats` is a repeated group {ServiceName, SpanCount, ErrorCount};
// * `Resource.ServiceName` is the only well-known column (no HTTP columns);
// * dedicated columns from `meta.json` `dedicatedColumns`: per scope (resource, span, event) and type,
//   the n-th entry maps to `String0n` (max 20) / `Int0n` (max 5), entries WITH options counted too;
//   a string or all-string array goes to a String column, an int or all-int array to an Int column,
//   anything else stays in the generic `Attrs`; unused dedicated columns (and empty
//   DedicatedAttributes groups) are dropped from the schema, as `SchemaWithDynamicChanges` does;
// * `ChildCount`, nested set (`ParentID` −1 for roots, 0 for orphans), `ScopeSpans.SpanCount`,
//   `StartTimeRounded15/60/300/3600` (interval index since the epoch).
//
// hyparquet-writer cannot write a repeated primitive leaf or a repeated group with several children
// without a LIST wrapper. Parquet column data depends only on each leaf's max definition and
// repetition levels, and `required group X (LIST) { repeated group list { required element } }` has
// exactly the levels of `repeated X`. So the data is written with LIST wrappers and the footer's
// schema and `path_in_schema` are then swapped for the wrapper-less ones before the footer is
// serialised: the bytes are what a wrapper-less writer would produce.
import { ParquetWriter, ByteWriter } from "hyparquet-writer";
import type { AttributeValue, Span } from "../../src/model/span";
import { hexBytes as hex, traceLevelColumns } from "./tempo-trace-row";

type Scope = "resource" | "span" | "event";
/** A `meta.json` dedicated column exactly as Tempo marshals it (`s` omitted = span, `t` omitted = string). */
export interface DedicatedColumnJson {
  s?: Scope;
  n: string;
  t?: "int";
  o?: string[];
}

/** Tempo's `defaultDedicatedColumns` for new vParquet5 blocks (`tempodb/backend/block_meta.go`), marshalled. */
export const DEFAULT_DEDICATED_COLUMNS: DedicatedColumnJson[] = [
  { s: "resource", n: "k8s.cluster.name" },
  { s: "resource", n: "k8s.namespace.name" },
  { s: "resource", n: "k8s.pod.name" },
  { s: "resource", n: "k8s.container.name" },
  { n: "http.request.method" },
  { n: "http.response.status_code", t: "int" },
  { n: "url.path" },
  { n: "url.route" },
  { n: "server.address" },
  { n: "server.port", t: "int" },
  { n: "http.method" },
  { n: "http.url" },
  { n: "http.route" },
  { n: "http.status_code", t: "int" },
];

// ---- schema -----------------------------------------------------------------------------------
type El = Record<string, unknown> & { name: string };
type Node = { el: El; children?: Node[] };
const leafNode = (name: string, type: string, extra: Record<string, unknown> = {}, rep = "REQUIRED"): Node => ({ el: { name, type, repetition_type: rep, ...extra } });
const str = (name: string, rep = "REQUIRED") => leafNode(name, "BYTE_ARRAY", { converted_type: "UTF8" }, rep);
const bytes = (name: string) => leafNode(name, "BYTE_ARRAY");
const u64 = (name: string) => leafNode(name, "INT64", { converted_type: "UINT_64" });
const i64 = (name: string, rep = "REQUIRED") => leafNode(name, "INT64", { converted_type: "INT_64" }, rep);
const i32 = (name: string) => leafNode(name, "INT32", { converted_type: "INT_32" });
const u32 = (name: string) => leafNode(name, "INT32", { converted_type: "UINT_32" });
const group = (name: string, children: Node[], rep = "REQUIRED"): Node => ({ el: { name, repetition_type: rep, num_children: children.length }, children });
const repeated = (node: Node): Node => ({ el: { ...node.el, repetition_type: "REPEATED" }, ...(node.children ? { children: node.children } : {}) });

const attrs = (name: string) =>
  repeated(group(name, [
    str("Key"),
    leafNode("IsArray", "BOOLEAN"),
    repeated(str("Value")),
    repeated(i64("ValueInt")),
    repeated(leafNode("ValueDouble", "DOUBLE")),
    repeated(leafNode("ValueBool", "BOOLEAN")),
    str("ValueUnsupported", "OPTIONAL"),
  ]));

interface Slot {
  field: string;
  type: "string" | "int";
}
type Mapping = Map<string, Slot>;

/** Tempo's dedicatedColumnsToColumnMapping for one scope (options do not stop a column from counting). */
function scopeMapping(columns: readonly DedicatedColumnJson[], scope: Scope): Mapping {
  const mapping: Mapping = new Map();
  const used = { string: 0, int: 0 };
  for (const c of columns) {
    if ((c.s ?? "span") !== scope) continue;
    const type = c.t === "int" ? "int" : "string";
    const i = used[type];
    if (i >= (type === "int" ? 5 : 20)) continue;
    mapping.set(c.n, { field: `${type === "int" ? "Int" : "String"}${String(i + 1).padStart(2, "0")}`, type });
    used[type]++;
  }
  return mapping;
}

/** Only the dedicated columns a mapping uses; none at all when the scope has no mapping. */
function dedicatedGroup(mapping: Mapping): Node[] {
  if (mapping.size === 0) return [];
  const fields = [...mapping.values()].sort((a, b) => (a.type === b.type ? (a.field < b.field ? -1 : 1) : a.type === "string" ? -1 : 1));
  return [group("DedicatedAttributes", fields.map((s) => repeated(s.type === "int" ? i64(s.field) : str(s.field))))];
}

function schemaTree(res: Mapping, span: Mapping, event: Mapping): Node {
  return group("Trace", [
    bytes("TraceID"),
    str("TraceIDText"),
    u64("StartTimeUnixNano"),
    u64("EndTimeUnixNano"),
    u64("DurationNano"),
    str("RootServiceName"),
    str("RootSpanName"),
    repeated(group("ServiceStats", [str("ServiceName"), u32("SpanCount"), u32("ErrorCount")])),
    repeated(group("rs", [
      group("Resource", [str("ServiceName"), attrs("Attrs"), i32("DroppedAttributesCount"), ...dedicatedGroup(res)]),
      repeated(group("ss", [
        group("Scope", [str("Name"), str("Version"), attrs("Attrs"), i32("DroppedAttributesCount")]),
        repeated(group("Spans", [
          bytes("SpanID"), bytes("ParentSpanID"),
          i32("ParentID"), i32("NestedSetLeft"), i32("NestedSetRight"), i32("ChildCount"),
          str("Name"), i64("Kind"), str("TraceState"), u64("StartTimeUnixNano"), u64("DurationNano"), i64("StatusCode"), str("StatusMessage"),
          attrs("Attrs"), i32("DroppedAttributesCount"),
          repeated(group("Events", [u64("TimeSinceStartNano"), str("Name"), attrs("Attrs"), i32("DroppedAttributesCount"), ...dedicatedGroup(event)])),
          i32("DroppedEventsCount"),
          repeated(group("Links", [bytes("TraceID"), bytes("SpanID"), str("TraceState"), attrs("Attrs"), i32("DroppedAttributesCount")])),
          i32("DroppedLinksCount"),
          ...dedicatedGroup(span),
          u32("StartTimeRounded15"), u32("StartTimeRounded60"), u32("StartTimeRounded300"), u32("StartTimeRounded3600"),
        ])),
        i32("SpanCount"),
      ])),
    ])),
  ]);
}

/** The flat schema as stored in the footer: wrapper-less (`wrapped = false`) or with LIST wrappers. */
function flatten(node: Node, wrapped: boolean, out: El[] = []): El[] {
  const { el, children } = node;
  const withChildren = (e: El) => (children ? { ...e, num_children: children.length } : e);
  if (wrapped && el.repetition_type === "REPEATED") {
    out.push({ name: el.name, repetition_type: "REQUIRED", converted_type: "LIST", num_children: 1 });
    out.push({ name: "list", repetition_type: "REPEATED", num_children: 1 });
    out.push(withChildren({ ...el, name: "element", repetition_type: "REQUIRED" }));
  } else out.push(withChildren(el));
  for (const c of children ?? []) flatten(c, wrapped, out);
  return out;
}

// ---- rows -------------------------------------------------------------------------------------
const isInt = (v: unknown): v is number | bigint => typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v));

/** golang-protobuf JSON of an AnyValue, for `ValueUnsupported` (kvlists, bytes, mixed arrays). */
function anyValueJson(v: AttributeValue): unknown {
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (isInt(v)) return { intValue: String(v) };
  if (typeof v === "number") return { doubleValue: v };
  if (v instanceof Uint8Array) return { bytesValue: btoa(String.fromCharCode(...v)) };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValueJson) } };
  if (v instanceof Map) return { kvlistValue: { values: [...v].map(([key, value]) => ({ key, value: anyValueJson(value) })) } };
  return {};
}

/** Tempo's attrToParquet. */
function attrRow(key: string, v: AttributeValue) {
  const row = { Key: key, IsArray: false, Value: [] as string[], ValueInt: [] as bigint[], ValueDouble: [] as number[], ValueBool: [] as boolean[], ValueUnsupported: null as string | null };
  const unsupported = () => Object.assign(row, { IsArray: false, Value: [], ValueInt: [], ValueDouble: [], ValueBool: [], ValueUnsupported: JSON.stringify(anyValueJson(v)) });
  if (typeof v === "string") row.Value = [v];
  else if (isInt(v)) row.ValueInt = [BigInt(v)];
  else if (typeof v === "number") row.ValueDouble = [v];
  else if (typeof v === "boolean") row.ValueBool = [v];
  else if (Array.isArray(v)) {
    row.IsArray = true;
    if (v.length === 0) return row;
    if (v.every((x) => typeof x === "string")) row.Value = v as string[];
    else if (v.every(isInt)) row.ValueInt = v.map((x) => BigInt(x as number));
    else if (v.every((x) => typeof x === "number")) row.ValueDouble = v as number[];
    else if (v.every((x) => typeof x === "boolean")) row.ValueBool = v as boolean[];
    else unsupported();
  } else unsupported();
  return row;
}

/** Tempo's writeAttrs: dedicated when the value fits the column's type, generic otherwise. */
function splitAttrs(map: ReadonlyMap<string, AttributeValue>, mapping: Mapping, skip: (k: string, v: AttributeValue) => boolean = () => false) {
  const generic: ReturnType<typeof attrRow>[] = [];
  const dedicated: Record<string, unknown[]> = {};
  for (const slot of mapping.values()) dedicated[slot.field] = [];
  for (const [k, v] of map) {
    if (skip(k, v)) continue;
    const slot = mapping.get(k);
    const values = Array.isArray(v) ? v : [v];
    if (slot?.type === "string" && values.every((x) => typeof x === "string")) dedicated[slot.field] = values;
    else if (slot?.type === "int" && values.every(isInt)) dedicated[slot.field] = values.map((x) => BigInt(x as number));
    else generic.push(attrRow(k, v));
  }
  return { generic, dedicated };
}

const ROUNDING = [15, 60, 300, 3600] as const;

function traceRow(traceId: string, spans: readonly Span[], res: Mapping, spanMap: Mapping, event: Mapping) {
  // Nested set and child counts from SpanID/ParentSpanID (orphans and their subtrees stay 0).
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map<string, Span[]>();
  for (const s of spans) if (s.parentSpanId && byId.has(s.parentSpanId)) children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s]);
  const nested = new Map<Span, { left: number; right: number; parent: number }>();
  let counter = 0;
  const visit = (s: Span, parent: number) => {
    const left = ++counter;
    for (const c of children.get(s.spanId) ?? []) visit(c, left);
    nested.set(s, { left, right: ++counter, parent });
  };
  for (const s of spans) if (s.parentSpanId === "") visit(s, -1);

  const resources = new Map<string, Span[]>();
  for (const s of spans) {
    const key = JSON.stringify([...s.resource.attributes].map(([k, v]) => [k, String(v)]));
    resources.set(key, [...(resources.get(key) ?? []), s]);
  }
  const stats = new Map<string, { SpanCount: number; ErrorCount: number }>();
  for (const s of spans) {
    const st = stats.get(s.service) ?? { SpanCount: 0, ErrorCount: 0 };
    st.SpanCount++;
    if (s.status.code === 2) st.ErrorCount++;
    stats.set(s.service, st);
  }
  return {
    ...traceLevelColumns(traceId, spans),
    ServiceStats: [...stats].sort(([a], [b]) => (a < b ? -1 : 1)).map(([ServiceName, s]) => ({ ServiceName, ...s })),
    rs: [...resources.values()].map((group) => {
      const resource = group[0]!.resource;
      const serviceName = resource.attributes.get("service.name");
      const r = splitAttrs(resource.attributes, res, (k, v) => k === "service.name" && typeof v === "string");
      const scopes = new Map<string, Span[]>();
      for (const s of group) scopes.set(`${s.scope.name}@${s.scope.version}`, [...(scopes.get(`${s.scope.name}@${s.scope.version}`) ?? []), s]);
      return {
        Resource: {
          ServiceName: typeof serviceName === "string" ? serviceName : "",
          Attrs: r.generic,
          DroppedAttributesCount: resource.droppedAttributesCount,
          ...(res.size ? { DedicatedAttributes: r.dedicated } : {}),
        },
        ss: [...scopes.values()].map((inScope) => ({
          Scope: {
            Name: inScope[0]!.scope.name,
            Version: inScope[0]!.scope.version,
            Attrs: [...inScope[0]!.scope.attributes].map(([k, v]) => attrRow(k, v)),
            DroppedAttributesCount: inScope[0]!.scope.droppedAttributesCount,
          },
          Spans: inScope.map((s) => {
            const a = splitAttrs(s.attributes, spanMap);
            const ns = nested.get(s) ?? { left: 0, right: 0, parent: 0 };
            const rounded = Object.fromEntries(ROUNDING.map((sec) => [`StartTimeRounded${sec}`, Number(s.startTimeUnixNano / BigInt(sec * 1e9))]));
            return {
              SpanID: hex(s.spanId),
              ParentSpanID: hex(s.parentSpanId),
              ParentID: ns.parent,
              NestedSetLeft: ns.left,
              NestedSetRight: ns.right,
              ChildCount: children.get(s.spanId)?.length ?? 0,
              Name: s.name,
              Kind: BigInt(s.kind),
              TraceState: s.traceState,
              StartTimeUnixNano: s.startTimeUnixNano,
              DurationNano: BigInt.asUintN(64, s.endTimeUnixNano - s.startTimeUnixNano),
              StatusCode: BigInt(s.status.code),
              StatusMessage: s.status.message,
              Attrs: a.generic,
              DroppedAttributesCount: s.droppedAttributesCount,
              Events: s.events.map((e) => {
                const ea = splitAttrs(e.attributes, event);
                return {
                  TimeSinceStartNano: e.timeUnixNano - s.startTimeUnixNano,
                  Name: e.name,
                  Attrs: ea.generic,
                  DroppedAttributesCount: e.droppedAttributesCount,
                  ...(event.size ? { DedicatedAttributes: ea.dedicated } : {}),
                };
              }),
              DroppedEventsCount: s.droppedEventsCount,
              Links: s.links.map((l) => ({
                TraceID: hex(l.traceId),
                SpanID: hex(l.spanId),
                TraceState: l.traceState,
                Attrs: [...l.attributes].map(([k, v]) => attrRow(k, v)),
                DroppedAttributesCount: l.droppedAttributesCount,
              })),
              DroppedLinksCount: s.droppedLinksCount,
              ...(spanMap.size ? { DedicatedAttributes: a.dedicated } : {}),
              ...rounded,
            };
          }),
          SpanCount: inScope.length,
        })),
      };
    }),
  };
}

export interface VParquet5WriteOptions {
  dedicatedColumns: readonly DedicatedColumnJson[];
  rowGroupSize?: number;
  /** Codec for every column (Tempo: Snappy; zstd for `blob` dedicated columns). */
  codec?: "SNAPPY" | "ZSTD" | "UNCOMPRESSED";
}

const TOP_LEVEL = ["TraceID", "TraceIDText", "StartTimeUnixNano", "EndTimeUnixNano", "DurationNano", "RootServiceName", "RootSpanName", "ServiceStats", "rs"] as const;

/** data.parquet of a released vParquet5 block: one row per trace, sorted by TraceID. */
export function writeVParquet5Block(spans: readonly Span[], options: VParquet5WriteOptions): Uint8Array {
  const res = scopeMapping(options.dedicatedColumns, "resource");
  const span = scopeMapping(options.dedicatedColumns, "span");
  const event = scopeMapping(options.dedicatedColumns, "event");
  const byTrace = new Map<string, Span[]>();
  for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
  const rows = [...byTrace].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, ss]) => traceRow(id, ss, res, span, event));
  const tree = schemaTree(res, span, event);
  const writer = new ByteWriter();
  const pw = new ParquetWriter({
    writer,
    schema: flatten(tree, true) as never,
    codec: options.codec ?? "SNAPPY",
    compressors: { ZSTD: zstdStored },
    statistics: false,
    createdBy: "github.com/parquet-go/parquet-go (tracelint test writer)",
  });
  pw.write({ columnData: TOP_LEVEL.map((name) => ({ name, data: rows.map((r) => r[name]) as never })), rowGroupSize: options.rowGroupSize ?? 1000 });
  // Same levels, so the same column bytes: describe them with the wrapper-less schema.
  pw.schema = flatten(tree, false) as never;
  for (const g of pw.row_groups) {
    for (const c of g.columns) {
      const path = c.meta_data!.path_in_schema;
      c.meta_data!.path_in_schema = path.filter((p, i) => !((p === "list" && path[i + 1] === "element") || (p === "element" && path[i - 1] === "list")));
    }
  }
  pw.finish();
  return new Uint8Array(writer.getBuffer());
}

/** meta.json of a vParquet5 block (Go encoding/json field order and names). */
export function vParquet5MetaJson(blockId: string, tenant: string, body: Uint8Array, start: string, end: string, dedicatedColumns: readonly DedicatedColumnJson[], totalObjects = 0): string {
  return JSON.stringify({
    format: "vParquet5", blockID: blockId, tenantID: tenant, startTime: start, endTime: end, totalObjects,
    size: body.byteLength, compactionLevel: 0, indexPageSize: 0, totalRecords: 1, bloomShards: 1,
    footerSize: new DataView(body.buffer, body.byteOffset + body.byteLength - 8, 4).getUint32(0, true),
    dedicatedColumns, replicationFactor: 1,
  });
}

/**
 * A valid zstd frame holding `data` in raw (stored) blocks (RFC 8878 §3.1.1): no JS zstd
 * compressor is installed, and every zstd decoder must read stored blocks.
 */
export function zstdStored(data: Uint8Array): Uint8Array {
  const MAX_BLOCK = 128 * 1024;
  const blocks = Math.max(1, Math.ceil(data.length / MAX_BLOCK));
  const out = new Uint8Array(4 + 1 + 4 + blocks * 3 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xfd2fb528, true); // magic
  out[4] = 0xa0; // Frame_Content_Size_flag = 2 (4 bytes), Single_Segment_flag = 1, no checksum, no dictionary
  view.setUint32(5, data.length, true);
  let at = 9;
  for (let b = 0; b < blocks; b++) {
    const chunk = data.subarray(b * MAX_BLOCK, Math.min(data.length, (b + 1) * MAX_BLOCK));
    const header = (b === blocks - 1 ? 1 : 0) | (0 << 1) | (chunk.length << 3); // last flag, Raw_Block, size
    out[at] = header & 0xff;
    out[at + 1] = (header >>> 8) & 0xff;
    out[at + 2] = (header >>> 16) & 0xff;
    out.set(chunk, at + 3);
    at += 3 + chunk.length;
  }
  return out;
}
