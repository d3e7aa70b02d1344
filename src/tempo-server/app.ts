// A Tempo-compatible query server (runtime-neutral Hono app) for tests and the demo. It serves a
// fixed set of traces with Tempo's real encodings — gogo-jsonpb JSON (base64 IDs, string enums),
// protobuf on `Accept: application/protobuf`, leading-zero-stripped search IDs, newest-first
// search, v2 "not found" as 200 + `{"trace":{}}`, v1 404, v1 422 / v2 PARTIAL over a byte limit,
// 401 `no org id` when multi-tenant — and can inject faults (see faults.ts).
import { Hono, type Context } from "hono";
import { compress } from "hono/compress";
import { encodeTempoJson, encodeTraceByIdResponseProto, encodeTracesDataProto } from "../encode/index";
import type { Span } from "../model/span";
import { FaultPlan, resettingBody, type FaultRule, type RouteName } from "./faults";
import { TraceStore, type StoredTrace } from "./store";
import { parseTraceQL, spanMatches, TraceQLParseError, type SpanFilter } from "./traceql";

export interface TempoServerOptions {
  spans: Iterable<Span>;
  /** Path prefix the API is served under (Tempo's `http_api_prefix`; Grafana Cloud uses `/tempo`). */
  prefix?: string;
  /** Enables multitenancy: requests need `X-Scope-OrgID`; only this tenant sees the traces. */
  tenant?: string;
  /** Emulates an authenticating proxy in front of Tempo (Tempo itself has no auth). */
  auth?: { bearerToken?: string; basic?: { user: string; password: string }; headers?: Record<string, string> };
  /** Tempo's `max_bytes_per_trace` (default 5 000 000): v1 answers 422, v2 a PARTIAL trace. */
  maxBytesPerTrace?: number;
  /** Tempo 3.0's `read.left_pad_trace_ids` (default false: leading zeros stripped). */
  leftPadTraceIds?: boolean;
  /** Serve only the v1 trace-by-ID and tag APIs (an old Tempo). */
  v1Only?: boolean;
  faults?: FaultRule[];
  /** gzip responses when the client accepts it, as Tempo does (default true). */
  gzip?: boolean;
  now?: () => number;
}

export interface RecordedRequest {
  route: RouteName;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  status: number;
}

export interface TempoServer {
  app: Hono;
  /** Every request answered, in order (headers included: this is a test double). */
  requests: RecordedRequest[];
  setFaults(rules: FaultRule[]): void;
  store: TraceStore;
}

const DEFAULT_MAX_BYTES = 5_000_000;
const MAX_SEARCH_SECONDS = 168 * 3600;
const NO_ORG_ID = "no org id";

function text(c: Context, status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(`${body}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8", ...headers } });
}

function wantsProtobuf(c: Context): boolean {
  return (c.req.header("accept") ?? "").includes("application/protobuf");
}

function protobuf(bytes: Uint8Array): Response {
  return new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers: { "Content-Type": "application/protobuf" } });
}

function json(body: string, status = 200): Response {
  return new Response(body, { status, headers: { "Content-Type": "application/json" } });
}

/** Tempo's trace-ID path parameter: hex only, at most 128 bits, left-padded to 16 bytes. */
function parseTraceIdParam(raw: string): { id: string } | { error: string } {
  for (let i = 0; i < raw.length; i++) {
    if (!/[0-9a-fA-F]/.test(raw[i]!)) return { error: `trace IDs can only contain hex characters: invalid character '${raw[i]}' at position ${i + 1}` };
  }
  if (raw.length > 32) return { error: "trace IDs can't be larger than 128 bits" };
  if (raw.length === 0) return { error: "trace ID is required" };
  return { id: raw.toLowerCase().padStart(32, "0") };
}

/** Search/tags `start`/`end`: both or neither, uint32 Unix seconds, end after start. */
function parseRange(c: Context, now: number, defaultSeconds: number): { start: number; end: number } | { error: string } {
  const s = c.req.query("start");
  const e = c.req.query("end");
  if ((s === undefined) !== (e === undefined)) return { error: "only one of start and end provided: must provide both or neither" };
  if (s === undefined || e === undefined) {
    const end = Math.floor(now / 1000) - 30;
    return { start: end - defaultSeconds, end };
  }
  if (!/^\d{1,10}$/.test(s) || Number(s) > 0xffffffff) return { error: `invalid start: strconv.ParseUint: parsing "${s}": invalid syntax` };
  if (!/^\d{1,10}$/.test(e) || Number(e) > 0xffffffff) return { error: `invalid end: strconv.ParseUint: parsing "${e}": invalid syntax` };
  if (Number(e) <= Number(s)) return { error: "http parameter start must be before end" };
  return { start: Number(s), end: Number(e) };
}

function overlaps(t: StoredTrace, range: { start: number; end: number }): boolean {
  const start = BigInt(range.start) * 1_000_000_000n;
  const end = BigInt(range.end) * 1_000_000_000n;
  return t.startNs <= end && t.endNs >= start;
}

function searchId(traceId: string, leftPad: boolean): string {
  return leftPad ? traceId : traceId.replace(/^0+(?=.)/, "");
}

/** Spans kept so that the trace's protobuf size stays within `maxBytes` (Tempo truncates). */
function truncateToBytes(spans: Span[], maxBytes: number): Span[] {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (encodeTracesDataProto(spans.slice(0, mid)).byteLength <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  return spans.slice(0, lo);
}

export function createTempoServer(options: TempoServerOptions): TempoServer {
  const store = new TraceStore(options.spans);
  const faults = new FaultPlan(options.faults ?? []);
  const requests: RecordedRequest[] = [];
  const now = options.now ?? Date.now;
  const maxBytes = options.maxBytesPerTrace ?? DEFAULT_MAX_BYTES;
  const api = new Hono();
  const root = new Hono();

  /** Which traces the request's tenant may see (all, or none for another tenant). */
  const visible = (c: Context): boolean => options.tenant === undefined || c.req.header("x-scope-orgid") === options.tenant;

  const routeOf = (path: string): RouteName => {
    if (path.endsWith("/api/search")) return "search";
    if (/\/api\/(v2\/)?search\/tag\/.+\/values$/.test(path)) return "tag-values";
    if (/\/api\/v2\/traces\//.test(path)) return "trace-v2";
    if (/\/api\/traces\//.test(path)) return "trace-v1";
    return "other";
  };

  // Outermost: record, then the proxy's auth, then Tempo's tenant check, then faults.
  root.use("*", async (c, next) => {
    const url = new URL(c.req.url);
    const route = routeOf(url.pathname);
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((v, k) => (headers[k] = v));
    const record: RecordedRequest = { route, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, status: 0 };
    requests.push(record);
    await next();
    record.status = c.res.status;
  });
  if (options.gzip ?? true) root.use("*", compress({ encoding: "gzip" }));
  root.use("*", async (c, next) => {
    const a = options.auth;
    if (a) {
      const authz = c.req.header("authorization") ?? "";
      const okBearer = a.bearerToken === undefined || authz === `Bearer ${a.bearerToken}`;
      const okBasic = a.basic === undefined || authz === `Basic ${btoa(`${a.basic.user}:${a.basic.password}`)}`;
      const okHeaders = Object.entries(a.headers ?? {}).every(([k, v]) => c.req.header(k) === v);
      if (!okBearer || !okBasic || !okHeaders) return text(c, 401, "Unauthorized", { "WWW-Authenticate": 'Basic realm="tempo"' });
    }
    const path = new URL(c.req.url).pathname;
    if (options.tenant !== undefined && path !== "/ready" && !path.endsWith("/api/echo") && !c.req.header("x-scope-orgid")) {
      return text(c, 401, NO_ORG_ID);
    }
    const route = routeOf(path);
    const traceId = route === "trace-v1" || route === "trace-v2" ? path.split("/").pop()?.toLowerCase().padStart(32, "0") : undefined;
    const { latencyMs, fault } = faults.take(route, traceId, route === "search" ? c.req.query("q") : undefined);
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    if (fault?.type === "status") {
      return text(c, fault.status, fault.body ?? (fault.status === 429 ? "too many outstanding requests" : "internal error"), fault.retryAfter !== undefined ? { "Retry-After": fault.retryAfter } : {});
    }
    if (fault?.type === "reset") {
      return new Response(resettingBody('{"trace":{"resourceSpans":['), { status: 200, headers: { "Content-Type": "application/json" } });
    }
    if (fault?.type === "malformed") return json('{"trace":{"resourceSpans":[{"resource":{"attributes":[{"key":"service.na');
    if (fault?.type === "body") return new Response(fault.body as Uint8Array<ArrayBuffer>, { status: 200, headers: { "Content-Type": fault.contentType ?? "application/json" } });
    await next();
  });

  api.get("/api/echo", (c) => text(c, 200, "echo"));
  api.get("/api/status/buildinfo", () => json(JSON.stringify({ version: "tracelint-test-server", revision: "", branch: "", buildUser: "", buildDate: "", goVersion: "" })));

  api.get("/api/search", (c) => {
    const q = c.req.query("q") ?? "{}";
    if (c.req.query("tags") !== undefined && c.req.query("q") !== undefined) return text(c, 400, "invalid request: can't specify tags and q in the same query");
    let filter: SpanFilter;
    try {
      filter = parseTraceQL(q);
    } catch (error) {
      if (error instanceof TraceQLParseError) return text(c, 400, `invalid TraceQL query: ${error.message}`);
      throw error;
    }
    const range = parseRange(c, now(), 15 * 60);
    if ("error" in range) return text(c, 400, range.error);
    if (range.end - range.start > MAX_SEARCH_SECONDS) {
      return text(c, 400, `range specified by start and end exceeds 168h0m0s. received start=${range.start} end=${range.end}`);
    }
    const limitText = c.req.query("limit") ?? "20";
    const spssText = c.req.query("spss") ?? "3";
    if (!/^\d+$/.test(limitText) || Number(limitText) === 0) return text(c, 400, `invalid limit: ${limitText}`);
    if (!/^\d+$/.test(spssText)) return text(c, 400, `invalid spss: ${spssText}`);
    if (Number(spssText) > 100) return text(c, 400, `spans per span set exceeds 100. received: ${spssText}`);
    const limit = Number(limitText);
    const spss = Number(spssText) || 3;
    const traces: unknown[] = [];
    let inspected = 0;
    for (const t of visible(c) ? store.newestFirst() : []) {
      if (traces.length >= limit) break;
      if (!overlaps(t, range)) continue;
      inspected++;
      const matched = t.spans.filter((s) => spanMatches(filter, s, t.rootServiceName));
      if (matched.length === 0) continue;
      const spanSet = {
        spans: matched.slice(0, spss).map((s) => ({
          spanID: s.spanId,
          ...(s.name ? { name: s.name } : {}),
          startTimeUnixNano: String(s.startTimeUnixNano),
          durationNanos: String(s.endTimeUnixNano - s.startTimeUnixNano),
          attributes: [{ key: "service.name", value: { stringValue: s.service } }],
        })),
        matched: matched.length,
      };
      const durationMs = Number((t.endNs - t.startNs) / 1_000_000n);
      traces.push({
        traceID: searchId(t.traceId, options.leftPadTraceIds ?? false),
        rootServiceName: t.rootServiceName,
        ...(t.rootTraceName ? { rootTraceName: t.rootTraceName } : {}),
        startTimeUnixNano: String(t.startNs),
        ...(durationMs > 0 ? { durationMs } : {}),
        spanSet,
        spanSets: [spanSet],
      });
    }
    return json(JSON.stringify({ traces, metrics: { inspectedTraces: inspected, inspectedBytes: String(inspected * 1000), completedJobs: 1, totalJobs: 1 } }));
  });

  const tagValues = (c: Context, tag: string, v2: boolean): Response => {
    const range = parseRange(c, now(), 15 * 60);
    if ("error" in range) return text(c, 400, range.error);
    let pick: (s: Span) => unknown;
    if (v2) {
      if (tag === "resource.service.name") pick = (s) => s.service;
      else if (tag === "name") pick = (s) => s.name;
      else if (/^resource\.[\w.\-/]+$/.test(tag)) pick = (s) => s.resource.attributes.get(tag.slice(9));
      else if (/^span\.[\w.\-/]+$/.test(tag)) pick = (s) => s.attributes.get(tag.slice(5));
      else if (/^\.[\w.\-/]+$/.test(tag)) pick = (s) => s.attributes.get(tag.slice(1)) ?? s.resource.attributes.get(tag.slice(1));
      else return text(c, 400, "please provide a valid tagName");
    } else {
      pick = tag === "service.name" ? (s) => s.service : (s) => s.attributes.get(tag) ?? s.resource.attributes.get(tag);
    }
    const values = new Set<string>();
    for (const t of visible(c) ? store.newestFirst() : []) {
      if (!overlaps(t, range)) continue;
      for (const s of t.spans) {
        const v = pick(s);
        if (typeof v === "string" && v !== "") values.add(v);
      }
    }
    const sorted = [...values].sort();
    const tagValuesBody = v2 ? sorted.map((value) => ({ type: "string", value })) : sorted;
    return json(JSON.stringify({ tagValues: tagValuesBody, metrics: {} }));
  };
  if (!options.v1Only) api.get("/api/v2/search/tag/:tag/values", (c) => tagValues(c, c.req.param("tag"), true));
  api.get("/api/search/tag/:tag/values", (c) => tagValues(c, c.req.param("tag"), false));

  /** Trace lookup shared by v1 and v2: validation, tenant, optional start/end block hint. */
  const lookup = (c: Context): { spans: Span[] } | Response => {
    const parsed = parseTraceIdParam(c.req.param("traceId") ?? "");
    if ("error" in parsed) return text(c, 400, parsed.error);
    const s = c.req.query("start");
    const e = c.req.query("end");
    if ((s !== undefined && !/^\d+$/.test(s)) || (e !== undefined && !/^\d+$/.test(e))) return text(c, 400, "invalid start or end: must be unix epoch seconds");
    const t = visible(c) ? store.get(parsed.id) : undefined;
    if (!t) return { spans: [] };
    if (s !== undefined && e !== undefined && !overlaps(t, { start: Number(s), end: Number(e) })) return { spans: [] };
    return { spans: t.spans };
  };

  api.get("/api/traces/:traceId", (c) => {
    const found = lookup(c);
    if (found instanceof Response) return found;
    if (found.spans.length === 0) return new Response(null, { status: 404 });
    if (encodeTracesDataProto(found.spans).byteLength > maxBytes) return text(c, 422, "trace exceeds max size");
    return wantsProtobuf(c) ? protobuf(encodeTracesDataProto(found.spans)) : json(encodeTempoJson(found.spans, { envelope: "v1" }));
  });

  if (!options.v1Only) {
    api.get("/api/v2/traces/:traceId", (c) => {
      const found = lookup(c);
      if (found instanceof Response) return found;
      let spans = found.spans;
      let partialMessage: string | undefined;
      if (spans.length > 0 && encodeTracesDataProto(spans).byteLength > maxBytes) {
        spans = truncateToBytes(spans, maxBytes);
        partialMessage = `Trace exceeds maximum size of ${maxBytes} bytes, a partial trace is returned`;
      }
      const opts = partialMessage !== undefined ? { partialMessage } : {};
      return wantsProtobuf(c) ? protobuf(encodeTraceByIdResponseProto(spans, opts)) : json(encodeTempoJson(spans, { envelope: "v2", ...opts }));
    });
  }

  root.get("/ready", (c) => text(c, 200, "ready"));
  const prefix = (options.prefix ?? "").replace(/\/+$/, "");
  root.route(prefix === "" ? "/" : prefix, api);
  root.notFound((c) => text(c, 404, "404 page not found"));
  return { app: root, requests, setFaults: (rules) => faults.set(rules), store };
}

