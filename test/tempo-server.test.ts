// The Tempo-compatible server speaks Tempo's encodings and status codes, checked against the real
// Tempo JSON in ../shared/upstream-data (AGPL test data, read in place, never copied).
import { readFileSync } from "node:fs";
import { SpanKind as ApiKind } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { decodeInput } from "../src/decode/index";
import { encodeTracesDataProto } from "../src/encode/index";
import type { Span } from "../src/model/span";
import { createTempoServer, type TempoServerOptions } from "../src/tempo-server/index";

const upstream = (name: string) => readFileSync(new URL(`../../shared/upstream-data/tempo/tempo-api-json/${name}`, import.meta.url));

async function spansOf(bytes: Uint8Array): Promise<Span[]> {
  return (await decodeInput(bytes, { name: "fixture" })).spans;
}

/** Three small traces, 10 minutes apart, recorded with the SDK (gateway → orders). */
async function recorded(): Promise<{ spans: Span[]; traceIds: string[]; epochSeconds: number }> {
  const epochMs = Date.UTC(2026, 0, 1, 12);
  const rec = new TraceRecorder({ seed: 11, epochMs });
  const gateway = rec.tracer("gateway");
  const orders = rec.tracer("orders");
  const traceIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const t = i * 600_000;
    const root = gateway.startSpan(`GET /page/${i}`, { kind: ApiKind.SERVER, startTime: rec.time(t) });
    const client = gateway.startSpan("GET", { kind: ApiKind.CLIENT, startTime: rec.time(t + 1) }, rec.within(root));
    const server = orders.startSpan("GET /orders", { kind: ApiKind.SERVER, startTime: rec.time(t + 2), attributes: { "http.route": "/orders" } }, rec.extract(rec.inject(client)));
    if (i === 1) server.setStatus({ code: 2 });
    server.end(rec.time(t + 8));
    client.end(rec.time(t + 9));
    root.end(rec.time(t + 10));
    traceIds.push(root.spanContext().traceId);
  }
  return { spans: await spansOf(rec.toOtlpJson()), traceIds, epochSeconds: epochMs / 1000 };
}

function server(options: TempoServerOptions) {
  const s = createTempoServer({ gzip: false, ...options });
  const get = (path: string, headers: Record<string, string> = {}) => s.app.request(path, { headers });
  return { ...s, get };
}

describe("trace by ID: Tempo's encodings", () => {
  it("v2 JSON puts the trace, byte-for-byte as Tempo marshals it, under \"trace\"; v1 under \"batches\"", async () => {
    const raw = upstream("vulture-trace.gogo-jsonpb.json");
    const spans = await spansOf(raw);
    const s = server({ spans });
    const id = spans[0]!.traceId;
    const v2 = await s.get(`/api/v2/traces/${id}`);
    expect(v2.status).toBe(200);
    expect(v2.headers.get("content-type")).toBe("application/json");
    const body = (await v2.json()) as { trace: unknown; metrics: { inspectedBytes: string } };
    expect(JSON.stringify(body.trace)).toBe(raw.toString("utf8").trim());
    expect(body.metrics.inspectedBytes).toMatch(/^\d+$/);
    const v1 = (await (await s.get(`/api/traces/${id}`)).json()) as { batches: unknown };
    expect(v1.batches).toEqual((JSON.parse(raw.toString("utf8")) as { resourceSpans: unknown }).resourceSpans);
  });

  it("keeps base64 IDs and string enums of Tempo's servicegraph traces", async () => {
    const raw = upstream("servicegraphs/trace-with-failed-requests.json");
    const spans = await spansOf(raw);
    const s = server({ spans });
    const text = await (await s.get(`/api/v2/traces/${spans[0]!.traceId}`)).text();
    expect(text).toContain('"kind":"SPAN_KIND_SERVER"');
    expect(text).toContain('"code":"STATUS_CODE_ERROR"');
    const firstTraceId = /"traceId":"([^"]+)"/.exec(text)![1]!;
    expect(firstTraceId).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(JSON.parse(text).trace).toEqual(JSON.parse(raw.toString("utf8")));
  });

  it("answers Accept: application/protobuf with protobuf that decodes to the same spans", async () => {
    const { spans, traceIds } = await recorded();
    const s = server({ spans });
    const res = await s.get(`/api/v2/traces/${traceIds[0]}`, { Accept: "application/json;q=0.5, application/protobuf" });
    expect(res.headers.get("content-type")).toBe("application/protobuf");
    const decoded = await decodeInput(new Uint8Array(await res.arrayBuffer()), { name: "v2.pb", contentType: "application/protobuf" });
    expect(decoded.spans.map((x) => x.spanId).sort()).toEqual(spans.filter((x) => x.traceId === traceIds[0]).map((x) => x.spanId).sort());
    const v1 = await s.get(`/api/traces/${traceIds[0]}`, { Accept: "application/protobuf" });
    expect((await decodeInput(new Uint8Array(await v1.arrayBuffer()), { name: "v1.pb" })).spans).toHaveLength(3);
  });

  it("answers an unknown ID with 200 and an empty trace on v2, 404 with an empty body on v1", async () => {
    const s = server({ spans: (await recorded()).spans });
    const v2 = await s.get("/api/v2/traces/0123456789abcdef0123456789abcdef");
    expect(v2.status).toBe(200);
    expect(await v2.json()).toEqual({ trace: {}, metrics: {} });
    const v1 = await s.get("/api/traces/0123456789abcdef0123456789abcdef");
    expect(v1.status).toBe(404);
    expect(await v1.text()).toBe("");
    const bad = await s.get("/api/v2/traces/xyz");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe("trace IDs can only contain hex characters: invalid character 'x' at position 1\n");
  });

  it("returns PARTIAL on v2 and 422 on v1 for a trace over max_bytes_per_trace", async () => {
    const { spans, traceIds } = await recorded();
    // One byte under the trace's protobuf size, the measure Tempo applies.
    const limit = encodeTracesDataProto(spans.filter((x) => x.traceId === traceIds[0])).byteLength - 1;
    const s = server({ spans, maxBytesPerTrace: limit });
    const v2 = (await (await s.get(`/api/v2/traces/${traceIds[0]}`)).json()) as { status: string; message: string };
    expect(v2.status).toBe("PARTIAL");
    expect(v2.message).toBe(`Trace exceeds maximum size of ${limit} bytes, a partial trace is returned`);
    const decoded = await decodeInput(new TextEncoder().encode(JSON.stringify(v2)), { name: "partial" });
    expect(decoded.partial?.reason).toBe(v2.message);
    expect(decoded.spans.length).toBeGreaterThan(0);
    expect(decoded.spans.length).toBe(2);
    const v1 = await s.get(`/api/traces/${traceIds[0]}`);
    expect(v1.status).toBe(422);
    expect(await v1.text()).toBe("trace exceeds max size\n");
  });
});

describe("search and tag values", () => {
  it("returns newest first, with leading zeros stripped from trace IDs, limited and windowed", async () => {
    const { spans, traceIds, epochSeconds } = await recorded();
    // Give one trace a 64-bit ID padded with zeros, as Jaeger/Zipkin producers do.
    const padded = "0000000000000000" + traceIds[2]!.slice(16);
    const moved = spans.map((x) => (x.traceId === traceIds[2] ? { ...x, traceId: padded } : x));
    const s = server({ spans: moved });
    const res = await s.get(`/api/search?q=${encodeURIComponent("{}")}&start=${epochSeconds - 60}&end=${epochSeconds + 3600}&limit=2&spss=1`);
    const body = (await res.json()) as { traces: { traceID: string; rootServiceName: string; rootTraceName: string; startTimeUnixNano: string; durationMs: number; spanSets: { spans: unknown[]; matched: number }[] }[] };
    expect(body.traces.map((t) => t.traceID)).toEqual([traceIds[2]!.slice(16).replace(/^0+/, ""), traceIds[1]]);
    expect(body.traces[0]!.rootServiceName).toBe("gateway");
    expect(body.traces[0]!.rootTraceName).toBe("GET /page/2");
    expect(body.traces[0]!.durationMs).toBe(10);
    expect(body.traces[0]!.spanSets[0]!.spans).toHaveLength(1);
    expect(body.traces[0]!.spanSets[0]!.matched).toBe(3);
    // A window that only covers the first trace.
    const early = (await (await s.get(`/api/search?q={}&start=${epochSeconds - 60}&end=${epochSeconds + 60}`)).json()) as { traces: { traceID: string }[] };
    expect(early.traces.map((t) => t.traceID)).toEqual([traceIds[0]]);
  });

  it("filters by the TraceQL subset and answers bad TraceQL with Tempo's 400 text", async () => {
    const { spans, traceIds, epochSeconds } = await recorded();
    const s = server({ spans });
    const range = `&start=${epochSeconds - 60}&end=${epochSeconds + 3600}`;
    const q = encodeURIComponent('{ resource.service.name = "orders" && status = error }');
    const hit = (await (await s.get(`/api/search?q=${q}${range}`)).json()) as { traces: { traceID: string }[] };
    expect(hit.traces.map((t) => t.traceID)).toEqual([traceIds[1]]);
    const bad = await s.get(`/api/search?q=${encodeURIComponent("{ foo bar }")}${range}`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/^invalid TraceQL query: parse error at line 1, col \d+: /);
    const oneSided = await s.get(`/api/search?q={}&start=${epochSeconds}`);
    expect(await oneSided.text()).toBe("only one of start and end provided: must provide both or neither\n");
    const tooLong = await s.get(`/api/search?q={}&start=1000&end=${1000 + 169 * 3600}`);
    expect(tooLong.status).toBe(400);
  });

  it("lists service names through the v2 (typed) and v1 (plain) tag-values APIs", async () => {
    const { spans, epochSeconds } = await recorded();
    const s = server({ spans });
    const range = `?start=${epochSeconds - 60}&end=${epochSeconds + 3600}`;
    expect(await (await s.get(`/api/v2/search/tag/resource.service.name/values${range}`)).json()).toEqual({
      tagValues: [{ type: "string", value: "gateway" }, { type: "string", value: "orders" }],
      metrics: {},
    });
    expect(((await (await s.get(`/api/search/tag/service.name/values${range}`)).json()) as { tagValues: string[] }).tagValues).toEqual(["gateway", "orders"]);
    expect((await s.get(`/api/v2/search/tag/not%20valid/values${range}`)).status).toBe(400);
  });
});

describe("tenancy, prefix, auth", () => {
  it("requires X-Scope-OrgID when multi-tenant (401 no org id) and hides data from other tenants", async () => {
    const { spans, traceIds } = await recorded();
    const s = server({ spans, tenant: "team-a", prefix: "/tempo" });
    const none = await s.get(`/tempo/api/v2/traces/${traceIds[0]}`);
    expect(none.status).toBe(401);
    expect(await none.text()).toBe("no org id\n");
    expect((await s.get(`/tempo/api/traces/${traceIds[0]}`, { "X-Scope-OrgID": "team-b" })).status).toBe(404);
    expect((await s.get(`/tempo/api/traces/${traceIds[0]}`, { "X-Scope-OrgID": "team-a" })).status).toBe(200);
    expect((await s.get(`/api/traces/${traceIds[0]}`, { "X-Scope-OrgID": "team-a" })).status).toBe(404);
    expect((await s.get("/ready")).status).toBe(200);
  });

  it("emulates an authenticating proxy: 401 unless the configured credentials arrive", async () => {
    const { spans, traceIds } = await recorded();
    const s = server({ spans, auth: { bearerToken: "tok-123", headers: { "CF-Access-Client-Id": "cid" } } });
    expect((await s.get(`/api/traces/${traceIds[0]}`, { Authorization: "Bearer tok-123" })).status).toBe(401);
    expect((await s.get(`/api/traces/${traceIds[0]}`, { Authorization: "Bearer tok-123", "CF-Access-Client-Id": "cid" })).status).toBe(200);
    expect(s.requests.map((r) => r.status)).toEqual([401, 200]);
  });
});
