// `tracelint audit` end to end: the CLI against the Tempo-compatible server on 127.0.0.1.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpanKind as ApiKind } from "@opentelemetry/api";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { startTempoServer, type RunningTempoServer } from "../src/cli/tempo-server";
import { decodeInput } from "../src/decode/index";
import { encodeTracesDataProto } from "../src/encode/index";
import type { Report, ReportFinding, TempoQuerySource } from "../src/report/schema";
import type { TempoServerOptions } from "../src/tempo-server/index";
import { runCli } from "./support/cli";

const NOW = new Date(Date.UTC(2026, 0, 1, 13));
/** The recorded traffic sits 30–50 minutes before NOW: inside `--since 1h`, past the 5-minute delay. */
const EPOCH_MS = NOW.getTime() - 50 * 60_000;

/** Six requests through gateway → orders; two with a lost parent (orphan), one with a lost root. */
function record(): { rec: TraceRecorder; orphanTrace: string } {
  const rec = new TraceRecorder({ seed: 77, epochMs: EPOCH_MS });
  const gateway = rec.tracer("gateway");
  const orders = rec.tracer("orders");
  let orphanTrace = "";
  for (let i = 0; i < 6; i++) {
    const t = i * 4 * 60_000;
    const root = gateway.startSpan("GET /checkout", { kind: ApiKind.SERVER, startTime: rec.time(t) });
    let parent = rec.within(root);
    if (i === 1 || i === 4) {
      const lost = gateway.startSpan("auth", { kind: ApiKind.INTERNAL, startTime: rec.time(t + 1) }, parent); // never ended
      parent = rec.within(lost);
      if (i === 1) orphanTrace = root.spanContext().traceId;
    }
    const client = gateway.startSpan("POST", { kind: ApiKind.CLIENT, startTime: rec.time(t + 2), attributes: { "server.address": "orders" } }, parent);
    // The first orphaned trace also carries a large attribute, so a byte limit can single it out.
    const attributes = { "http.route": "/orders", ...(i === 1 ? { "order.note": "n".repeat(2_000) } : {}) };
    const server = orders.startSpan("POST /orders", { kind: ApiKind.SERVER, startTime: rec.time(t + 3), attributes }, rec.extract(rec.inject(client)));
    server.end(rec.time(t + 9));
    client.end(rec.time(t + 10));
    if (i !== 5) root.end(rec.time(t + 11));
  }
  return { rec, orphanTrace };
}

let running: RunningTempoServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function serve(options: Partial<TempoServerOptions> = {}) {
  const { rec, orphanTrace } = record();
  const bytes = rec.toOtlpJson();
  const spans = (await decodeInput(bytes, { name: "estate" })).spans;
  running = await startTempoServer({ spans, ...options });
  return { server: running, bytes, spans, orphanTrace };
}

const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tmp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tracelint-audit-"));
  tempDirs.push(dir);
  return dir;
}

const NOW_ARGS = ["--start", new Date(NOW.getTime() - 65 * 60_000).toISOString(), "--end", new Date(NOW.getTime() - 5 * 60_000).toISOString()];

/** Findings without the example order, which follows trace order (sampling vs file order). */
function comparable(findings: ReportFinding[]): unknown[] {
  return findings.map((f) => ({ ...f, examples: [...f.examples].sort((a, b) => `${a.traceId}${a.spanId}`.localeCompare(`${b.traceId}${b.spanId}`)) }));
}

async function audit(url: string, extra: string[] = [], env: Record<string, string> = {}) {
  const dir = await tmp();
  const out = join(dir, "report.json");
  const run = await runCli(["audit", "--tempo", url, ...NOW_ARGS, "--format", "json", "--out", out, ...extra], env);
  const report = run.code === 2 || extra.includes("md") ? undefined : (JSON.parse(await readFile(out, "utf8")) as Report);
  return { ...run, report, out };
}

describe("tracelint audit", () => {
  it("finds exactly what `check` finds in the same traces, and says how they were sampled", async () => {
    const { server, bytes } = await serve({ prefix: "/tempo" });
    const result = await audit(server.url);
    expect(result.code).toBe(1);
    const dir = await tmp();
    await writeFile(join(dir, "estate.otlp.json"), bytes);
    const checked = await runCli(["check", join(dir, "estate.otlp.json"), "--format", "json"]);
    const checkReport = JSON.parse(checked.stdout) as Report;
    expect(result.report!.findings.length).toBeGreaterThan(0);
    expect(comparable(result.report!.findings)).toEqual(comparable(checkReport.findings));
    expect(result.report!.findings.map((f) => [f.ruleId, f.service, f.occurrences])).toEqual(
      expect.arrayContaining([
        ["orphan-span", "gateway", 2],
        ["missing-root", "gateway", 1],
      ]),
    );
    const source = result.report!.source as TempoQuerySource;
    expect(source).toMatchObject({
      kind: "tempo",
      url: server.url,
      tenant: null,
      auth: [],
      sampling: { perService: 10, windowSample: 20, query: null, slices: 4, servicesDiscovered: 2, servicesSampled: ["gateway", "orders"] },
      searches: { run: 12, failed: 0, incomplete: 0 },
      traces: { requested: 6, fetched: 6, partial: 0, notFound: 0, failed: 0 },
      failures: [],
    });
    expect(result.report!.summary).toMatchObject({ traces: 6, files: 6, inputErrors: [] });
    expect(result.stderr).toContain("tracelint: sampled 6 traces from 2 services");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports a trace Tempo returns PARTIAL as partial and makes no missing-span claim about it", async () => {
    const { server, spans, orphanTrace } = await serve();
    const orphanSpans = spans.filter((s) => s.traceId === orphanTrace);
    server.setFaults([]);
    await server.close();
    // Same data, with a byte limit just under the orphaned trace's size.
    running = await startTempoServer({ spans, maxBytesPerTrace: encodeTracesDataProto(orphanSpans).byteLength - 1 });
    const result = await audit(running.url);
    const source = result.report!.source as TempoQuerySource;
    expect(source.traces).toMatchObject({ requested: 6, fetched: 6, partial: 1 });
    expect(result.report!.summary.partialTraces).toBe(1);
    const partial = result.report!.findings.find((f) => f.ruleId === "partial-trace")!;
    expect(partial).toMatchObject({ service: "gateway", category: "size-limit", occurrences: 1 });
    const orphan = result.report!.findings.find((f) => f.ruleId === "orphan-span")!;
    expect(orphan.occurrences).toBe(1);
    expect(orphan.examples.map((e) => e.traceId)).not.toContain(orphanTrace);
  });

  it("records a trace that keeps failing and audits the rest", async () => {
    const { server, orphanTrace } = await serve();
    server.setFaults([{ fault: { type: "status", status: 503, body: "upstream unavailable" }, traceId: orphanTrace }]);
    const result = await audit(server.url, ["--concurrency", "2"]);
    const source = result.report!.source as TempoQuerySource;
    expect(source.traces).toEqual({ requested: 6, fetched: 5, partial: 0, notFound: 0, failed: 1 });
    expect(source.failures).toEqual([{ traceId: orphanTrace, reason: "HTTP 503 (upstream unavailable), after 4 attempt(s)" }]);
    expect(result.report!.summary.inputErrors).toEqual([{ file: `trace ${orphanTrace}`, message: "HTTP 503 (upstream unavailable), after 4 attempt(s)" }]);
    expect(result.stderr).toContain(`tracelint: trace ${orphanTrace}: HTTP 503`);
  }, 20_000);

  it("quotes a failing proxy's error body masked and without terminal control characters", async () => {
    const { server, orphanTrace } = await serve();
    const body = "\u001b[31mfailed for jane.doe@gmail.com card 4111111111111111\u001b]0;owned\u0007";
    server.setFaults([{ fault: { type: "status", status: 500, body }, routes: ["trace-v2", "trace-v1"], traceId: orphanTrace }]);
    const result = await audit(server.url);
    const reason = (result.report!.source as TempoQuerySource).failures[0]!.reason;
    expect(reason).toBe("HTTP 500 (\\x1b[31mfailed for j***@g***.com card **** **** **** 1111\\x1b]0;owned\\x07), after 4 attempt(s)");
    for (const output of [result.stderr, JSON.stringify(result.report)]) {
      expect(output).not.toMatch(/jane\.doe|4111111111111111|\u001b|\u0007/);
    }
  }, 20_000);

  it("holds a gzip body inside the response's own gzip to the response cap: a 1 KB bomb is one failed trace, not gigabytes", async () => {
    const { gzipSync } = await import("node:zlib");
    const { server, orphanTrace } = await serve();
    // 200 MiB of zeros, gzipped (≈ 200 KB); the server gzips the response again on the wire.
    const bomb = new Uint8Array(gzipSync(Buffer.alloc(200 * 1024 * 1024)));
    server.setFaults([{ fault: { type: "body", body: bomb }, routes: ["trace-v2", "trace-v1"], traceId: orphanTrace }]);
    const before = process.memoryUsage().rss;
    const result = await audit(server.url, ["--concurrency", "2"]);
    const source = result.report!.source as TempoQuerySource;
    expect(source.traces).toMatchObject({ requested: 6, fetched: 5, failed: 1 });
    expect(source.failures[0]!.reason).toMatch(/^undecodable trace body \(gzip body inflates to more than 64 MiB\)/);
    // The audit ran in this process: far less than the 200 MiB the body inflates to was ever held.
    expect(process.memoryUsage().rss - before).toBeLessThan(150 * 1024 * 1024);
  }, 30_000);

  it("names the searches that kept failing, in the report and on stderr, and audits what the others found", async () => {
    const { server } = await serve();
    // Every per-service search for orders answers 502 (Tempo's query-frontend restarting, say).
    server.setFaults([{ fault: { type: "status", status: 502, body: "bad gateway" }, routes: ["search"], query: '"orders"' }]);
    const result = await audit(server.url, ["--concurrency", "4"]);
    const source = result.report!.source as TempoQuerySource;
    expect(source.searches).toEqual({ run: 8, failed: 4, incomplete: 0 });
    const searchErrors = result.report!.summary.inputErrors.filter((e) => e.file.startsWith("search "));
    expect(searchErrors).toEqual(Array(4).fill({ file: "search service orders", message: "HTTP 502 (bad gateway), after 4 attempt(s)" }));
    expect(result.stderr).toContain("tracelint: 4 of 12 searches failed: the sample lacks the traces they would have found");
    expect(result.stderr).toContain("tracelint: search service orders: HTTP 502 (bad gateway), after 4 attempt(s)");
    // The window-wide and gateway searches still found every trace.
    expect(source.traces.fetched).toBe(6);
  }, 30_000);

  it("exits 2 with one line when Tempo is unreachable", async () => {
    const { server } = await serve();
    const url = server.url;
    await server.close();
    running = undefined;
    const result = await audit(url);
    expect(result.code).toBe(2);
    const last = result.stderr.split("\n").at(-1);
    expect(last).toBe(`tracelint: cannot reach Tempo at ${url}: connection refused, after 4 attempt(s)`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 20_000);

  it("exits 2 on a missing tenant (Tempo's 401 no org id) and on bad credentials, never printing the secret", async () => {
    const secret = "planted-secret-7f3a9c";
    const { server } = await serve({ tenant: "acme", auth: { bearerToken: "the-right-token" } });
    const noTenant = await audit(server.url, [], { TEMPO_TOKEN: "the-right-token" });
    expect(noTenant.code).toBe(2);
    expect(noTenant.stderr.split("\n").at(-1)).toMatch(/^tracelint: Tempo refused the request \(HTTP 401: no org id\) at http:\/\/127\.0\.0\.1:\d+; check TEMPO_TOKEN/);
    const badToken = await audit(server.url, ["--tenant", "acme"], { TEMPO_TOKEN: secret });
    expect(badToken.code).toBe(2);
    expect(badToken.stderr).toContain("HTTP 401: Unauthorized");
    expect(badToken.stderr + badToken.stdout).not.toContain(secret);
    expect(server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${secret}`);
  });

  it("never lets a planted secret reach stdout, stderr or the report of a successful audit", async () => {
    const secret = "cf-secret-d41d8cd98f00b204";
    const { server } = await serve({ tenant: "acme", auth: { headers: { "CF-Access-Client-Secret": secret }, basic: { user: "inst", password: secret } } });
    const result = await audit(server.url, ["--tenant", "acme", "--format", "md"], {
      TEMPO_USER: "inst",
      TEMPO_PASSWORD: secret,
      TEMPO_HEADERS: `CF-Access-Client-Id: id.access; CF-Access-Client-Secret: ${secret}`,
    });
    expect(result.code).toBe(1);
    const reportText = await readFile(result.out, "utf8");
    expect(reportText).toContain("Source");
    for (const text of [result.stdout, result.stderr, reportText]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(btoa(`inst:${secret}`));
    }
    expect(server.requests.every((r) => r.headers["cf-access-client-secret"] === secret)).toBe(true);
  });

  it("exits 2 with Tempo's own message for bad TraceQL", async () => {
    const { server } = await serve();
    const result = await audit(server.url, ["--query", "{ span.http.status_code >>= 500 }"]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n").at(-1)).toMatch(/^tracelint: Tempo rejected the search \(HTTP 400: invalid TraceQL query: parse error at line 1, col \d+: .+\)$/);
  });

  it("samples the user's TraceQL too; an empty window exits 2 with one line and writes no report (it would become the baseline)", async () => {
    const { server } = await serve();
    const q = await audit(server.url, ["--per-service", "0", "--traces", "2", "--query", '{ name = "POST /orders" }']);
    const source = q.report!.source as TempoQuerySource;
    expect(source.sampling).toMatchObject({ perService: 0, windowSample: 2, query: '{ name = "POST /orders" }', servicesDiscovered: 0 });
    expect(source.traces.requested).toBeGreaterThanOrEqual(2);
    expect(server.requests.some((r) => r.query.q === '{ name = "POST /orders" }')).toBe(true);
    const dir = await tmp();
    const out = join(dir, "empty.json");
    for (const quiet of [[], ["-q"]]) {
      const empty = await runCli(["audit", "--tempo", server.url, "--start", "2025-01-01T00:00:00Z", "--end", "2025-01-01T01:00:00Z", "--format", "json", "--out", out, ...quiet]);
      expect(empty.code).toBe(2);
      expect(empty.stdout).toBe("");
      expect(empty.stderr.split("\n").at(-1)).toBe(
        "tracelint: Tempo found no traces in the window 2025-01-01T00:00:00.000Z – 2025-01-01T01:00:00.000Z: check --tenant (another tenant's traces are invisible), the window (--since or --start/--end) and the --tempo URL's path prefix; no report written",
      );
      if (quiet.length > 0) expect(empty.stderr.split("\n")).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }
  });

  it("refuses bad arguments with one line and exit 2", async () => {
    const cases: [string[], string][] = [
      [["audit"], "tracelint: audit needs --tempo URL (or TEMPO_URL in the environment)"],
      [["audit", "--tempo", "http://u:hunter2@localhost:3200"], "tracelint: --tempo: the Tempo URL contains credentials; put them in TEMPO_USER/TEMPO_PASSWORD or TEMPO_TOKEN instead"],
      [["audit", "--tempo", "http://localhost:3200", "--start", "2026-01-01T00:00:00Z"], "tracelint: give both --start and --end, or neither"],
      [["audit", "--tempo", "http://localhost:3200", "--since", "2 days"], 'tracelint: --since: not a duration: "2 days" (use e.g. 30m, 1h, 6h, 2d)'],
      [["audit", "--tempo", "http://localhost:3200", "--concurrency", "0"], 'tracelint: --concurrency must be a whole number from 1 to 64 (got "0")'],
      [["audit", "--tempo", "http://localhost:3200", "--tenant", "a b"], `tracelint: --tenant "a b" is not a valid tenant ID (letters, digits and !-_.*'() only, at most 150 characters; | separates tenants)`],
    ];
    for (const [argv, message] of cases) {
      const result = await runCli(argv);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(message);
    }
  });
});
