// `tracelint audit` along a new user's path (QA walk-through): an audit that read nothing writes no
// report and exits 2 (it would otherwise become the baseline), the --max-services cap is an option
// and is said on stderr, nonsensical sample sizes and an --end within the ingestion delay are
// handled, Ctrl-C/SIGTERM keep what was fetched as a partial report, and the plain progress shows
// the searches moving. Trace data: recorded with the OpenTelemetry SDK (TraceRecorder), served by
// the Tempo-compatible server on 127.0.0.1, audited through the real CLI code.
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpanKind as ApiKind } from "@opentelemetry/api";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { runAudit, watchStopSignals, type SignalTarget, type StopSignal } from "../src/cli/audit";
import type { CliIO } from "../src/cli/io";
import { auditProgress } from "../src/cli/progress";
import { startTempoServer, type RunningTempoServer } from "../src/cli/tempo-server";
import { decodeInput } from "../src/decode/index";
import { ReportSchema, type Report, type TempoQuerySource } from "../src/report/schema";
import type { TempoServerOptions } from "../src/tempo-server/index";
import { parseDeploymentConfig, type TempoSourceConfig } from "../src/config/deployment";
import { discoverTempo, tempoClient } from "../src/runs/tempo";
import { runCli } from "./support/cli";

let tempo: RunningTempoServer | undefined;
afterEach(async () => {
  await tempo?.close();
  tempo = undefined;
});
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function tmp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tracelint-newuser-"));
  dirs.push(dir);
  return dir;
}

/**
 * `count` requests, 38–40 minutes before the real clock (inside `--since 1h` and clear of the
 * 5-minute ingestion delay), request i served by `svc-(i mod services)` with a database call;
 * every second one lost its parent span (an orphan). Returns the spans and the trace IDs in
 * recording order.
 */
async function estate(count: number, services = count): Promise<{ spans: Awaited<ReturnType<typeof decodeInput>>["spans"]; traceIds: string[] }> {
  const rec = new TraceRecorder({ seed: 4242, epochMs: Date.now() - 40 * 60_000 });
  const traceIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const t = i * 20_000;
    const svc = rec.tracer(`svc-${i % services}`);
    const root = svc.startSpan("GET /items", { kind: ApiKind.SERVER, startTime: rec.time(t) });
    traceIds.push(root.spanContext().traceId);
    let parent = rec.within(root);
    if (i % 2 === 1) parent = rec.within(svc.startSpan("lost", { kind: ApiKind.INTERNAL, startTime: rec.time(t + 1) }, parent)); // never ended
    const client = svc.startSpan("SELECT", { kind: ApiKind.CLIENT, startTime: rec.time(t + 2) }, parent);
    client.end(rec.time(t + 8));
    root.end(rec.time(t + 10));
  }
  const spans = (await decodeInput(rec.toOtlpJson(), { name: "estate" })).spans;
  return { spans, traceIds };
}

async function serve(spans: Awaited<ReturnType<typeof decodeInput>>["spans"], options: Partial<TempoServerOptions> = {}): Promise<RunningTempoServer> {
  tempo = await startTempoServer({ spans, ...options });
  return tempo;
}

function capture(): { io: CliIO; lines: string[]; stdout: () => string } {
  const lines: string[] = [];
  let out = "";
  const io: CliIO = {
    stdout: (t) => {
      out += t;
    },
    stderr: (l) => lines.push(l),
    progress: () => {},
    writeFile: async (path, content) => {
      const { writeFile } = await import("node:fs/promises");
      await writeFile(path, content);
    },
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: {},
  };
  return { io, lines, stdout: () => out };
}

/** `process` as far as signals go, without the process: emit() delivers, exit() is recorded. */
class FakeSignals extends EventEmitter implements SignalTarget {
  exits: number[] = [];
  override on(event: StopSignal, listener: () => void): this {
    return super.on(event, listener);
  }
  override off(event: StopSignal, listener: () => void): this {
    return super.off(event, listener);
  }
  override listenerCount(event: StopSignal): number {
    return super.listenerCount(event);
  }
  exit(code: number): void {
    this.exits.push(code);
  }
}

const readReport = async (path: string): Promise<Report> => ReportSchema.parse(JSON.parse(await readFile(path, "utf8")));

describe("an audit that read no trace (a tenant typo, an idle window, nothing fetchable)", () => {
  it("exits 2 with one line even with -q, and writes no report that --baseline/--fail-on-new would take for a clean run", async () => {
    const { spans } = await estate(4);
    const server = await serve(spans, { tenant: "prod" });
    const dir = await tmp();
    const base = join(dir, "base.json");
    const first = await runCli(["audit", "--tempo", server.url, "--tenant", "prod", "--since", "1h", "--fail-on", "never", "--out", base]);
    expect(first.code).toBe(0);
    const baseline = await readFile(base, "utf8");
    expect((JSON.parse(baseline) as Report).summary.traces).toBe(4);

    const out = join(dir, "typo.json");
    const typo = await runCli(["audit", "--tempo", server.url, "--tenant", "prd", "--since", "1h", "--fail-on", "never", "--baseline", base, "--fail-on-new", "error", "--out", out, "-q"]);
    expect(typo.code).toBe(2);
    expect(typo.stdout).toBe("");
    expect(typo.stderr).toMatch(/^tracelint: Tempo found no traces in the window \S+ – \S+ for tenant "prd": check --tenant \(another tenant's traces are invisible\), the window \(--since or --start\/--end\) and the --tempo URL's path prefix; no report written$/);
    expect(existsSync(out)).toBe(false);
    expect(await readFile(base, "utf8")).toBe(baseline);

    // The next normal run against the untouched baseline: nothing new.
    const next = await runCli(["audit", "--tempo", server.url, "--tenant", "prod", "--since", "1h", "--fail-on", "never", "--baseline", base, "--fail-on-new", "error", "--out", join(dir, "next.json")]);
    expect(next.code).toBe(0);
    expect(next.stderr).toContain("tracelint: 0 new, 0 worsened, 0 resolved");
  });

  it("none of the sampled traces could be fetched: exit 2, the first reason on one line, no report", async () => {
    const { spans } = await estate(2);
    const server = await serve(spans, { faults: [{ fault: { type: "status", status: 400, body: "trace lookups disabled" }, routes: ["trace-v2", "trace-v1"] }] });
    const dir = await tmp();
    const out = join(dir, "r.json");
    const run = await runCli(["audit", "--tempo", server.url, "--since", "1h", "--out", out, "-q"]);
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toMatch(/^tracelint: none of the \d+ sampled traces could be fetched \(Tempo rejected the trace [0-9a-f]{32} request \(HTTP 400: trace lookups disabled\)\); no report written$/);
    expect(existsSync(out)).toBe(false);
  });
});

describe("--max-services", () => {
  it("is an option, and stderr says which services got no per-service sample", async () => {
    const { spans } = await estate(6, 3);
    const server = await serve(spans);
    const dir = await tmp();
    const out = join(dir, "r.json");
    const run = await runCli(["audit", "--tempo", server.url, "--since", "1h", "--fail-on", "never", "--max-services", "2", "--traces", "1", "--out", out]);
    expect(run.code).toBe(0);
    const source = (await readReport(out)).source as TempoQuerySource;
    expect(source.sampling).toMatchObject({ servicesDiscovered: 3, servicesSampled: ["svc-0", "svc-1"] });
    const searched = server.requests.filter((r) => r.route === "search").map((r) => r.query.q);
    expect(searched.some((q) => q?.includes('"svc-1"'))).toBe(true);
    expect(searched.some((q) => q?.includes('"svc-2"'))).toBe(false);
    expect(run.stderr).toMatch(/tracelint: sampled \d+ traces from 3 services \(2 of them sampled per service\) in /);
    expect(run.stderr).toContain("tracelint: 1 of 3 services got no per-service sample (--max-services 2 takes the first by name): they appear only in the window-wide sample");
    // Without the cap nothing is said.
    const all = await runCli(["audit", "--tempo", server.url, "--since", "1h", "--fail-on", "never", "--out", join(dir, "all.json")]);
    expect(all.stderr).not.toContain("per-service sample");
    expect(all.stderr).toMatch(/from 3 services in /);
  });

  it("is maxServices in a deployment's Tempo source, for scheduled runs (Worker, serve)", async () => {
    const { spans } = await estate(6, 3);
    const server = await serve(spans);
    const config = parseDeploymentConfig({ audits: [{ name: "a", source: { kind: "tempo", url: server.url, since: "1h", maxServices: 2, traces: 1 } }] });
    const source = config.audits[0]!.source as TempoSourceConfig;
    const found = await discoverTempo(tempoClient(source, {}), source, { start: new Date(Date.now() - 3600_000), end: new Date() });
    expect(found.discovery).toMatchObject({ servicesDiscovered: 3, servicesSampled: ["svc-0", "svc-1"] });
    expect(parseDeploymentConfig({ audits: [{ name: "a", source: { kind: "tempo", url: server.url } }] }).audits[0]!.source).toMatchObject({ maxServices: 200 });
  });

  it("is refused outside 1 to 10000", async () => {
    const run = await runCli(["audit", "--tempo", "http://127.0.0.1:9", "--max-services", "0"]);
    expect(run).toMatchObject({ code: 2, stderr: 'tracelint: --max-services must be a whole number from 1 to 10000 (got "0")' });
  });
});

describe("sample sizes and the window", () => {
  it("--per-service 0 --traces 0 samples nothing: a usage error", async () => {
    const run = await runCli(["audit", "--tempo", "http://127.0.0.1:9", "--per-service", "0", "--traces", "0", "--query", "{ status = error }"]);
    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr: "tracelint: --per-service 0 and --traces 0 sample nothing (--query is sampled --traces deep too); give at least one a size",
    });
  });

  it("an --end later than now minus the ingestion delay is moved back to it, and stderr says so", async () => {
    const { spans } = await estate(2);
    const server = await serve(spans);
    const dir = await tmp();
    const out = join(dir, "r.json");
    const start = new Date(Date.now() - 60 * 60_000).toISOString();
    const end = new Date(Date.now() + 60 * 60_000).toISOString();
    const before = Date.now();
    const run = await runCli(["audit", "--tempo", server.url, "--start", start, "--end", end, "--fail-on", "never", "--out", out]);
    const after = Date.now();
    expect(run.code).toBe(0);
    const windowEnd = Date.parse(((await readReport(out)).source as TempoQuerySource).window.end);
    expect(windowEnd).toBeGreaterThanOrEqual(before - 5 * 60_000);
    expect(windowEnd).toBeLessThanOrEqual(after - 5 * 60_000);
    expect(run.stderr).toContain(
      `tracelint: --end ${end} is later than now minus the ingestion delay (5m): the window ends at ${new Date(windowEnd).toISOString()} instead, so that sampled traces are complete (--ingestion-delay 0 keeps --end)`,
    );
    for (const r of server.requests.filter((r) => r.route === "search")) expect(Number(r.query.end)).toBeLessThanOrEqual(Math.ceil(windowEnd / 1000));
    // A window entirely inside the delay leaves nothing to audit.
    const late = await runCli(["audit", "--tempo", server.url, "--start", new Date(Date.now() - 60_000).toISOString(), "--end", end]);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/^tracelint: the window starts at \S+, less than the ingestion delay \(5m\) before now: traces that recent may still be arriving; give an earlier --start \(or --ingestion-delay 0\)$/);
  });
});

describe("SIGINT/SIGTERM during an audit", () => {
  it("stops fetching, reports what was fetched as a partial report marked interrupted, and exits 143", async () => {
    const { spans, traceIds } = await estate(6);
    // Every trace but the first answers after 20 s: the audit is mid-fetch when SIGTERM comes.
    const slow = traceIds.slice(1).map((traceId) => ({ fault: { type: "latency" as const, ms: 20_000 }, routes: ["trace-v2" as const], traceId }));
    const server = await serve(spans, { faults: slow });
    const dir = await tmp();
    const out = join(dir, "partial.json");
    const signals = new FakeSignals();
    const { io, lines } = capture();
    const running = runAudit({ tempo: server.url, since: "1h", concurrency: "6", format: "json", out, failOn: "never", signals }, io);
    // Once the fast trace has been answered (the others are in flight), the CronJob's deadline hits.
    for (let i = 0; i < 200 && !server.requests.some((r) => r.route === "trace-v2" && r.status === 200); i++) await new Promise((r) => setTimeout(r, 25));
    // Answered by the server; a moment for the audit to read the body (the others wait 20 s).
    await new Promise((r) => setTimeout(r, 1_000));
    const signalled = Date.now();
    signals.emit("SIGTERM");
    const code = await running;
    expect(Date.now() - signalled).toBeLessThan(3_000); // the requests in flight were aborted, not awaited
    expect(code).toBe(143);
    const report = await readReport(out);
    const source = report.source as TempoQuerySource;
    expect(source.traces).toMatchObject({ requested: 6, fetched: 1, failed: 0 });
    expect(report.summary.traces).toBe(1);
    expect(report.summary.inputErrors).toContainEqual({
      file: "audit interrupted",
      message: "SIGTERM: stopped after 1 of 6 sampled traces (1 fetched); the other 5 were not fetched, so findings in them are missing",
    });
    expect(lines.at(-1)).toBe(
      `tracelint: interrupted (SIGTERM): 1 of 6 sampled traces fetched and audited; the report (${out}) is partial, marked "audit interrupted" in its input errors: do not use it as a baseline`,
    );
    expect(signals.listenerCount("SIGTERM") + signals.listenerCount("SIGINT")).toBe(0);
    expect(signals.exits).toEqual([]);
  }, 30_000);

  it("with -q still says it was interrupted; before any trace was fetched it writes nothing", async () => {
    const { spans } = await estate(2);
    const server = await serve(spans, { faults: [{ fault: { type: "latency", ms: 20_000 }, routes: ["search"] }] });
    const dir = await tmp();
    const out = join(dir, "none.json");
    const signals = new FakeSignals();
    const { io, lines } = capture();
    const running = runAudit({ tempo: server.url, since: "1h", format: "json", out, quiet: true, signals }, io);
    for (let i = 0; i < 200 && !server.requests.some((r) => r.route === "search"); i++) await new Promise((r) => setTimeout(r, 25));
    signals.emit("SIGINT");
    expect(await running).toBe(130);
    expect(lines).toEqual(["tracelint: interrupted (SIGINT) before any trace was fetched: no report written"]);
    expect(existsSync(out)).toBe(false);
  }, 30_000);

  it("a second signal exits at once", () => {
    const signals = new FakeSignals();
    const { io, lines } = capture();
    const stops: string[] = [];
    const unwatch = watchStopSignals(signals, io, (s) => stops.push(s));
    signals.emit("SIGTERM");
    expect(stops).toEqual(["SIGTERM"]);
    expect(signals.exits).toEqual([]);
    signals.emit("SIGINT");
    expect(signals.exits).toEqual([130]);
    expect(lines).toEqual(["tracelint: SIGINT again: exiting at once, without a report"]);
    unwatch();
    expect(signals.listenerCount("SIGINT") + signals.listenerCount("SIGTERM")).toBe(0);
  });

  it("on a terminal, the SIGINT that the progress line's own Ctrl-C handler raises again is not a second Ctrl-C", async () => {
    const signals = new FakeSignals();
    const { io } = capture();
    const stops: string[] = [];
    const unwatch = watchStopSignals(signals, io, (s) => stops.push(s));
    // io.ts clearOnInterrupt, armed while a bar is drawn: clears, unhooks itself, re-raises SIGINT.
    const clearAndReraise = () => {
      signals.off("SIGINT", clearAndReraise);
      setImmediate(() => signals.emit("SIGINT"));
    };
    signals.on("SIGINT", clearAndReraise);
    signals.emit("SIGINT");
    await new Promise((r) => setImmediate(r));
    expect(stops).toEqual(["SIGINT"]);
    expect(signals.exits).toEqual([]);
    signals.emit("SIGINT"); // the user's second Ctrl-C
    expect(signals.exits).toEqual([130]);
    unwatch();
  });
});

describe("plain progress during the searches (CronJob logs)", () => {
  it("prints a line at a new 10 % step at most every 10 s, and nothing more for a quick search phase", () => {
    const lines: string[] = [];
    const io = { ...capture().io, stderr: (l: string) => lines.push(l) };
    let now = 0;
    const p = auditProgress(io, false, () => now);
    const step = (done: number) => p.onProgress({ phase: "search", done, total: 400, failed: 0, partial: 0, notFound: 0 });
    step(0);
    for (let done = 1; done <= 400; done++) {
      now += 500; // a search every half second: 200 s in all
      step(done);
    }
    expect(lines[0]).toBe("tracelint: running 400 searches");
    const progress = lines.slice(1);
    expect(progress.length).toBeGreaterThanOrEqual(8);
    expect(progress.length).toBeLessThanOrEqual(9);
    expect(progress[0]).toBe("tracelint: searching [##----------------------] 40/400 searches");
    expect(progress.every((l) => /^tracelint: searching \[[#-]{24}\] \d+\/400 searches$/.test(l))).toBe(true);

    const quick: string[] = [];
    const q = auditProgress({ ...io, stderr: (l: string) => quick.push(l) }, false, () => 0);
    for (let done = 0; done <= 12; done++) q.onProgress({ phase: "search", done, total: 12, failed: 0, partial: 0, notFound: 0 });
    expect(quick).toEqual(["tracelint: running 12 searches"]);
  });
});
