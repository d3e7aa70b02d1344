// The Tempo client against the Tempo-compatible server over real HTTP on 127.0.0.1: encodings,
// API fallback, and its behaviour under each injected fault (sleeps are recorded, not waited).
import { SpanKind as ApiKind } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { startTempoServer, type RunningTempoServer } from "../src/cli/tempo-server";
import { decodeInput } from "../src/decode/index";
import { encodeTracesDataProto } from "../src/encode/index";
import type { Span } from "../src/model/span";
import {
  authFromEnv,
  backoffDelay,
  buildStrata,
  DEFAULT_RETRY_POLICY,
  fetchTraces,
  parseDuration,
  parseHeaderList,
  parseRetryAfter,
  pickSpread,
  redact,
  resolveWindow,
  secretsOf,
  sliceWindow,
  TempoClient,
  TempoError,
  type Candidate,
  type SearchHit,
  type TempoClientOptions,
} from "../src/sources/tempo/index";
import type { FaultRule } from "../src/tempo-server/index";
import { describeNetworkError } from "../src/sources/tempo/errors";

const EPOCH_MS = Date.UTC(2026, 0, 1, 12);
const EPOCH_S = EPOCH_MS / 1000;
const HINT = { start: EPOCH_S - 60, end: EPOCH_S + 3600 };

async function estate(count = 4): Promise<{ spans: Span[]; traceIds: string[] }> {
  const rec = new TraceRecorder({ seed: 5, epochMs: EPOCH_MS });
  const a = rec.tracer("alpha");
  const b = rec.tracer("beta");
  const traceIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const t = i * 60_000;
    const root = a.startSpan(`GET /a`, { kind: ApiKind.SERVER, startTime: rec.time(t) });
    const child = b.startSpan("GET /b", { kind: ApiKind.SERVER, startTime: rec.time(t + 1) }, rec.extract(rec.inject(root)));
    child.end(rec.time(t + 5));
    root.end(rec.time(t + 6));
    traceIds.push(root.spanContext().traceId);
  }
  return { spans: (await decodeInput(rec.toOtlpJson(), { name: "estate" })).spans, traceIds };
}

let running: RunningTempoServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function serve(faults: FaultRule[] = [], extra: Partial<Parameters<typeof startTempoServer>[0]> = {}) {
  const data = await estate();
  running = await startTempoServer({ spans: data.spans, faults, ...extra });
  return { ...data, server: running };
}

function client(url: string, options: Partial<TempoClientOptions> = {}) {
  const sleeps: number[] = [];
  const c = new TempoClient({ baseUrl: url, timeoutMs: 2_000, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, ...options });
  return { c, sleeps };
}

describe("search, services and trace by ID", () => {
  it("restores leading zeros of search IDs and lists services", async () => {
    const { server, traceIds } = await serve([], { leftPadTraceIds: false });
    const { c } = client(server.url);
    const result = await c.search({ q: "{}", start: HINT.start, end: HINT.end, limit: 10 });
    expect(result.complete).toBe(true);
    expect(result.hits.map((h) => h.traceId)).toEqual([...traceIds].reverse());
    expect(result.hits.every((h) => h.traceId.length === 32)).toBe(true);
    expect(await c.serviceNames(HINT)).toEqual(["alpha", "beta"]);
    expect(server.requests[0]!.query).toMatchObject({ q: "{}", start: String(HINT.start), end: String(HINT.end), limit: "10", spss: "1" });
  });

  it("asks for protobuf and reads it; reads JSON when protobuf is not preferred", async () => {
    const { server, traceIds } = await serve();
    const proto = await client(server.url).c.traceById(traceIds[0]!, HINT);
    expect(proto).toMatchObject({ outcome: "found", api: "v2", format: "tempo-proto", partialReason: undefined });
    expect(server.requests.at(-1)!.headers.accept).toContain("application/protobuf");
    expect(server.requests.at(-1)!.query).toEqual({ start: String(HINT.start), end: String(HINT.end) });
    const json = await client(server.url, { preferProtobuf: false }).c.traceById(traceIds[0]!, HINT);
    expect(json).toMatchObject({ outcome: "found", format: "tempo-json" });
    if (json.outcome === "found" && proto.outcome === "found") {
      expect(json.spans.map((s) => s.spanId).sort()).toEqual(proto.spans.map((s) => s.spanId).sort());
    }
  });

  it("treats v2's 200 + empty trace as not found once v2 is known to exist", async () => {
    const { server, traceIds } = await serve();
    const { c } = client(server.url);
    await c.traceById(traceIds[0]!, HINT);
    const missing = await c.traceById("abc", HINT);
    expect(missing).toEqual({ outcome: "not-found", api: "v2" });
    expect(server.requests.at(-1)!.path).toBe(`/api/v2/traces/${"abc".padStart(32, "0")}`);
  });

  it("falls back to v1 on an older Tempo without /api/v2, and stays there", async () => {
    const { server, traceIds } = await serve([], { v1Only: true });
    const { c } = client(server.url);
    expect(await c.traceById(traceIds[0]!, HINT)).toMatchObject({ outcome: "found", api: "v1", format: "otlp-proto" });
    expect(await c.traceById(traceIds[1]!, HINT)).toMatchObject({ outcome: "found", api: "v1" });
    expect(await c.traceById("0123456789abcdef0123456789abcdef", HINT)).toEqual({ outcome: "not-found", api: "v1" });
    expect(server.requests.map((r) => `${r.status} ${r.path.replace(/[0-9a-f]{32}/, "ID")}`)).toEqual([
      "404 /api/v2/traces/ID",
      "200 /api/traces/ID",
      "200 /api/traces/ID",
      "404 /api/traces/ID",
    ]);
    expect(await c.serviceNames(HINT)).toEqual(["alpha", "beta"]);
  });

  it("reports v2 PARTIAL as a partial trace and v1 422 as too large", async () => {
    const { spans, traceIds } = await estate();
    const limit = encodeTracesDataProto(spans.filter((s) => s.traceId === traceIds[0])).byteLength - 1;
    const { server } = await serve([], { maxBytesPerTrace: limit });
    const partial = await client(server.url).c.traceById(traceIds[0]!, HINT);
    expect(partial).toMatchObject({ outcome: "found", partialReason: `Trace exceeds maximum size of ${limit} bytes, a partial trace is returned` });
    expect(partial.outcome === "found" && partial.spans.length).toBe(1);
    expect(await client(server.url, { traceApi: "v1" }).c.traceById(traceIds[0]!, HINT)).toEqual({ outcome: "too-large", message: "trace exceeds max size", api: "v1" });
  });

  it("serves under a path prefix (Grafana Cloud style) and sends tenant and credentials", async () => {
    const { server, traceIds } = await serve([], { prefix: "/tempo", tenant: "acme", auth: { basic: { user: "12345", password: "glc_secret" } } });
    const auth = authFromEnv({ TEMPO_USER: "12345", TEMPO_PASSWORD: "glc_secret" });
    const { c } = client(server.url, { tenant: "acme", auth });
    expect(await c.traceById(traceIds[0]!, HINT)).toMatchObject({ outcome: "found" });
    const sent = server.requests.at(-1)!;
    expect(sent.path.startsWith("/tempo/api/v2/traces/")).toBe(true);
    expect(sent.headers["x-scope-orgid"]).toBe("acme");
    expect(sent.headers.authorization).toBe(`Basic ${btoa("12345:glc_secret")}`);
    const wrong = client(server.url, { tenant: "acme", auth: authFromEnv({ TEMPO_TOKEN: "nope-token" }) }).c;
    const error = await wrong.search({ q: "{}", start: HINT.start, end: HINT.end, limit: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TempoError);
    expect((error as TempoError).kind).toBe("auth");
    expect((error as TempoError).message).toBe("Tempo refused the request (HTTP 401: Unauthorized)");
  });

  it("passes Tempo's 400 message through for bad TraceQL", async () => {
    const { server } = await serve();
    const error = (await client(server.url).c.search({ q: "{ nope", start: HINT.start, end: HINT.end, limit: 1 }).catch((e: unknown) => e)) as TempoError;
    expect(error.kind).toBe("bad-request");
    expect(error.message).toMatch(/^Tempo rejected the search \(HTTP 400: invalid TraceQL query: parse error at line 1, col \d+: .+\)$/);
  });
});

describe("faults", () => {
  it("retries 429 after the server's Retry-After, then succeeds", async () => {
    const { server, traceIds } = await serve([{ fault: { type: "status", status: 429, retryAfter: "2" }, routes: ["trace-v2"], times: 1 }]);
    const { c, sleeps } = client(server.url);
    expect(await c.traceById(traceIds[0]!, HINT)).toMatchObject({ outcome: "found" });
    expect(sleeps).toEqual([2_000]);
    expect(server.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it("backs off exponentially on 500s and gives up after maxAttempts with the status", async () => {
    const { server, traceIds } = await serve([{ fault: { type: "status", status: 500 }, routes: ["trace-v2"] }]);
    const { c, sleeps } = client(server.url, { retry: { maxAttempts: 4, baseDelayMs: 100 } });
    const error = (await c.traceById(traceIds[0]!, HINT).catch((e: unknown) => e)) as TempoError;
    expect(error.kind).toBe("http");
    expect(error.status).toBe(500);
    expect(error.message).toBe("HTTP 500 (internal error), after 4 attempt(s)");
    // random() = 0.5 → ¾ of each exponential step: 100, 200, 400 ms.
    expect(sleeps).toEqual([75, 150, 300]);
    expect(server.requests).toHaveLength(4);
  });

  it("retries a connection reset mid-response and a slow answer past the timeout", async () => {
    const { server, traceIds } = await serve([
      { fault: { type: "reset" }, traceId: undefined, routes: ["trace-v2"], times: 1 },
      { fault: { type: "latency", ms: 400 }, routes: ["trace-v2"], times: 1 },
    ]);
    const { c, sleeps } = client(server.url, { timeoutMs: 200 });
    // First request: latency 400 ms (> 200 ms timeout) *and* reset; the second: clean.
    expect(await c.traceById(traceIds[0]!, HINT)).toMatchObject({ outcome: "found" });
    expect(sleeps).toHaveLength(1);
    const reset = await startTempoServer({ spans: (await estate()).spans, faults: [{ fault: { type: "reset" }, times: 1 }] });
    try {
      const r = client(reset.url);
      expect(await r.c.traceById(traceIds[1]!, HINT)).toMatchObject({ outcome: "found" });
      expect(r.sleeps).toHaveLength(1);
    } finally {
      await reset.close();
    }
  });

  it("does not retry a malformed 200 body: the trace fails with a reason, the rest are fetched", async () => {
    const { server, traceIds } = await serve([{ fault: { type: "malformed" }, traceId: undefined, routes: ["trace-v2"], times: 1 }]);
    const { c } = client(server.url);
    const candidates: Candidate[] = traceIds.map((traceId) => ({ traceId, hint: HINT, foundBy: ["window"] }));
    const outcomes = [];
    for await (const o of fetchTraces(c, candidates, 1)) outcomes.push(o);
    expect(outcomes.map((o) => o.kind)).toEqual(["failed", "found", "found", "found"]);
    expect(outcomes[0]).toMatchObject({ kind: "failed", reason: expect.stringMatching(/^undecodable trace body/) });
  });

  it("fails fast with 'unreachable' when nothing listens", async () => {
    const { server } = await serve();
    const url = server.url;
    await server.close();
    running = undefined;
    const { c, sleeps } = client(url, { retry: { maxAttempts: 2 } });
    const error = (await c.serviceNames(HINT).catch((e: unknown) => e)) as TempoError;
    expect(error.kind).toBe("unreachable");
    expect(error.message).toBe("connection refused, after 2 attempt(s)");
    expect(sleeps).toHaveLength(1);
  });
});

describe("network error wording", () => {
  it("keeps Node's error codes, and drops the full stop workerd ends its messages with", () => {
    expect(describeNetworkError(Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } }))).toBe("connection refused");
    // workerd: `TypeError: Network connection lost.` (the caller appends ", after N attempt(s)").
    expect(describeNetworkError(new TypeError("Network connection lost."))).toBe("Network connection lost");
    expect(describeNetworkError(Object.assign(new Error("x"), { cause: { code: "EPIPE", message: "write EPIPE." } }))).toBe("EPIPE: write EPIPE");
  });
});

describe("streaming fetch keeps memory bounded by concurrency", () => {
  function stubClient(delayOf: (traceId: string) => number, bytes = 0) {
    // startedWhenSlowDone: requests started when the first slow (> 100 ms) one ended.
    const stats = { inFlight: 0, maxInFlight: 0, started: 0, startedWhenSlowDone: 0 };
    const stub = {
      http: { redact: (s: string) => s },
      traceById: async (traceId: string) => {
        stats.started++;
        stats.inFlight++;
        stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
        await new Promise((r) => setTimeout(r, delayOf(traceId)));
        stats.inFlight--;
        if (delayOf(traceId) > 100 && stats.startedWhenSlowDone === 0) stats.startedWhenSlowDone = stats.started;
        if (bytes > 0) return { outcome: "found" as const, api: "v2" as const, format: "tempo-proto" as const, spans: [], partialReason: undefined, bytes, errors: [] };
        return { outcome: "not-found" as const, api: "v2" as const, traceId };
      },
    } as unknown as TempoClient;
    return { stub, stats };
  }
  const ids = (n: number): Candidate[] => Array.from({ length: n }, (_, i) => ({ traceId: i.toString(16).padStart(32, "0"), hint: HINT, foundBy: [] }));

  it("never has more than `concurrency` requests in flight nor more than `maxAhead` started ahead of the consumer", async () => {
    const { stub, stats } = stubClient(() => 2);
    const candidates = ids(40);
    const order: string[] = [];
    let maxAhead = 0;
    for await (const o of fetchTraces(stub, candidates, 3, undefined, { maxAhead: 6 })) {
      order.push(o.candidate.traceId);
      maxAhead = Math.max(maxAhead, stats.started - order.length);
      await new Promise((r) => setTimeout(r, 5)); // a slow consumer
    }
    expect(order).toEqual(candidates.map((c) => c.traceId));
    expect(stats.maxInFlight).toBeLessThanOrEqual(3);
    expect(maxAhead).toBeLessThanOrEqual(6);
  });

  it("keeps the slots busy behind a slow trace, up to the look-ahead, and yields in candidate order", async () => {
    const candidates = ids(100);
    const slow = candidates[0]!.traceId;
    const { stub, stats } = stubClient((id) => (id === slow ? 300 : 1));
    const order: string[] = [];
    for await (const o of fetchTraces(stub, candidates, 4, undefined, { maxAhead: 20 })) order.push(o.candidate.traceId);
    expect(order).toEqual(candidates.map((c) => c.traceId));
    expect(stats.maxInFlight).toBeLessThanOrEqual(4);
    // Bounded look-ahead: 20 started (the slow one and 19 behind it), then the pool waits for it.
    expect(stats.startedWhenSlowDone).toBe(20);
  });

  it("stops starting requests once the buffered responses reach maxBufferedBytes", async () => {
    const candidates = ids(30);
    const slow = candidates[0]!.traceId;
    const { stub, stats } = stubClient((id) => (id === slow ? 200 : 1), 1000);
    let yielded = 0;
    for await (const o of fetchTraces(stub, candidates, 2, undefined, { maxBufferedBytes: 5000 })) yielded += o.kind === "found" ? 1 : 0;
    // The second slot fetched 5 responses of 1000 bytes behind the slow one, then the pool waited.
    expect(stats.startedWhenSlowDone).toBe(6);
    expect(yielded).toBe(30);
  });

  it("starts nothing more once the consumer stops early", async () => {
    const { stub, stats } = stubClient(() => 1);
    for await (const o of fetchTraces(stub, ids(50), 4)) {
      void o;
      break;
    }
    const startedAtBreak = stats.started;
    await new Promise((r) => setTimeout(r, 30));
    expect(stats.started).toBe(startedAtBreak);
    expect(startedAtBreak).toBeLessThan(50);
  });
});

describe("a slow trace does not stall the pool (Tempo test server)", () => {
  async function slowEstate(faults: (slow: string) => FaultRule[]) {
    const data = await estate(24);
    const slow = data.traceIds[0]!;
    running = await startTempoServer({ spans: data.spans, faults: faults(slow) });
    const candidates: Candidate[] = data.traceIds.map((traceId) => ({ traceId, hint: HINT, foundBy: ["window"] }));
    return { server: running, slow, candidates };
  }

  async function requestsBeforeSlowDone(server: RunningTempoServer, c: TempoClient, slow: string, candidates: Candidate[]) {
    const traceRequests = () => server.requests.filter((r) => r.route === "trace-v2" && !r.path.endsWith(slow)).length;
    let before = -1;
    const kinds: string[] = [];
    for await (const o of fetchTraces(c, candidates, 4)) {
      if (o.candidate.traceId === slow) before = traceRequests();
      kinds.push(o.kind);
    }
    return { before, kinds };
  }

  it("fetches the other traces while one takes long (latency), with concurrency 4", async () => {
    const { server, slow, candidates } = await slowEstate((slow) => [{ fault: { type: "latency", ms: 1500 }, routes: ["trace-v2"], traceId: slow }]);
    const { c } = client(server.url, { timeoutMs: 10_000 });
    const { before, kinds } = await requestsBeforeSlowDone(server, c, slow, candidates);
    // The old window (2 × concurrency, refilled only as the slow head was consumed) started 7.
    expect(before).toBe(candidates.length - 1);
    expect(kinds).toEqual(candidates.map(() => "found"));
  });

  it("fetches the other traces while one waits out a Retry-After", async () => {
    const { server, slow, candidates } = await slowEstate((slow) => [{ fault: { type: "status", status: 503, retryAfter: "1" }, routes: ["trace-v2"], traceId: slow, times: 1 }]);
    const c = new TempoClient({ baseUrl: server.url, timeoutMs: 10_000, random: () => 0.5 }); // real sleeps
    const { before, kinds } = await requestsBeforeSlowDone(server, c, slow, candidates);
    expect(before).toBe(candidates.length - 1);
    expect(kinds).toEqual(candidates.map(() => "found"));
    expect(server.requests.filter((r) => r.path.endsWith(slow)).map((r) => r.status)).toEqual([503, 200]);
  });
});

describe("sampling plan, time and credentials helpers", () => {
  it("spreads picks round-robin over slices, newest slice first, without duplicates", () => {
    const hit = (id: string): SearchHit => ({ traceId: id.padStart(32, "0"), rootServiceName: undefined, startTimeUnixNano: undefined, durationMs: 0 });
    const picked = pickSpread([[hit("a1"), hit("a2"), hit("a3")], [], [hit("c1"), hit("a1"), hit("c2")]], 4);
    expect(picked.map((h) => h.traceId.replace(/^0+/, ""))).toEqual(["a1", "c1", "a2", "c2"]);
  });

  it("builds a window-wide, a query and a per-service stratum with escaped service names", () => {
    const window = { start: new Date(EPOCH_MS), end: new Date(EPOCH_MS + 3_600_000) };
    const strata = buildStrata(['say "hi"'], { window, perService: 3, windowSample: 8, query: "{ status = error }", slices: 4, maxServices: 10, concurrency: 2 });
    expect(strata.map((s) => [s.kind, s.q, s.target, s.slices.length])).toEqual([
      ["window", "{}", 8, 4],
      ["query", "{ status = error }", 8, 4],
      ["service", '{ resource.service.name = "say \\"hi\\"" }', 3, 3],
    ]);
    expect(sliceWindow(window, 4)).toEqual([
      { start: EPOCH_S + 2700, end: EPOCH_S + 3600 },
      { start: EPOCH_S + 1800, end: EPOCH_S + 2700 },
      { start: EPOCH_S + 900, end: EPOCH_S + 1800 },
      { start: EPOCH_S, end: EPOCH_S + 900 },
    ]);
  });

  it("ends the default window an ingestion delay before now", () => {
    const now = new Date(EPOCH_MS);
    expect(resolveWindow({ now, sinceMs: parseDuration("1h30m"), ingestionDelayMs: parseDuration("5m") })).toEqual({
      start: new Date(EPOCH_MS - 95 * 60_000),
      end: new Date(EPOCH_MS - 5 * 60_000),
    });
    expect(() => resolveWindow({ now, sinceMs: parseDuration("8d"), ingestionDelayMs: 0 })).toThrow(/longer than Tempo's default search limit of 168h/);
    expect(() => parseDuration("1 hour")).toThrow(/not a duration/);
  });

  it("computes backoff with jitter, honours Retry-After (seconds or date), refuses absurd waits", () => {
    const p = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, p, undefined, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect(backoffDelay(0, p, undefined, () => 1)).toBe(100);
    expect(backoffDelay(0, p, 3_000, () => 0)).toBe(3_000);
    expect(backoffDelay(0, p, 60_000, () => 0)).toBeUndefined();
    expect(parseRetryAfter("7")).toBe(7_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 12:00:10 GMT", new Date(EPOCH_MS))).toBe(10_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });

  it("reads credentials from env, parses extra headers, and redacts every encoded form", () => {
    expect(parseHeaderList("CF-Access-Client-Id: abc.access; CF-Access-Client-Secret: s3cr3t-value")).toEqual({
      "CF-Access-Client-Id": "abc.access",
      "CF-Access-Client-Secret": "s3cr3t-value",
    });
    expect(() => parseHeaderList("X-Scope-OrgID: other")).toThrow(/use --tenant/);
    expect(() => parseHeaderList("no colon here")).toThrow(/"Name: value"/);
    expect(() => authFromEnv({ TEMPO_TOKEN: "a", TEMPO_USER: "u", TEMPO_PASSWORD: "p" })).toThrow(/not both/);
    const auth = authFromEnv({ TEMPO_USER: "inst", TEMPO_PASSWORD: "glc_pw_1234" });
    const basic = btoa("inst:glc_pw_1234");
    expect(redact(`pw glc_pw_1234 and header Basic ${basic}`, secretsOf(auth))).toBe("pw *** and header Basic ***");
  });
});
