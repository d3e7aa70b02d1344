// Second QA pass over the CLI, pinned down: help texts that document the shared report options,
// input names shown as given, singular counts in the summary line, text and binary files named as
// such, audit argument checks and hints (tenant, path prefix), --lateness, directories created
// without `mkdir -p` (which never settles under /proc), diff --quiet, and Ctrl-C clearing the
// progress line. Trace data: recorded with the SDK (TraceRecorder) or the SDK-generated fixtures;
// the text "error page" below is hand-written (it is not trace data).
import { SpanKind as ApiKind } from "@opentelemetry/api";
import { spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { startTempoServer, type RunningTempoServer } from "../src/cli/tempo-server";
import { decodeInput } from "../src/decode/index";
import type { TempoServerOptions } from "../src/tempo-server/index";
import { formatPartition } from "../src/sources/otlp-archive/partitions";
import { startS3rver, type RunningS3 } from "./support/s3rver";
import { ReportSchema, type Report } from "../src/report/schema";
import { emptyAlertState } from "../src/alerts/outbox";
import { FileAlertStateStore } from "../src/cli/alert-state-file";
import { FsObjectStore } from "../src/cli/fs-object-store";
import { clearOnInterrupt } from "../src/cli/io";
import { runCli } from "./support/cli";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const HEALTHY_ABSOLUTE = join(repoRoot, "fixtures/healthy/healthy-estate.otlp.json");

let dir: string;
/** One span of one service in one trace (SDK-recorded): the singular case of every count. */
let single: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracelint-qa-cli-2-"));
  const rec = new TraceRecorder({ seed: 15 });
  rec.tracer("shop").startSpan("GET /", { kind: ApiKind.SERVER, startTime: rec.time(0) }).end(rec.time(4));
  single = join(dir, "single.otlp.json");
  await writeFile(single, rec.toOtlpJson());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const report = (text: string): Report => ReportSchema.parse(JSON.parse(text));

describe("check", () => {
  it("--help documents -o, -q, html and the --out extension rule", async () => {
    const run = await runCli(["check", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("  --format json|md|html report format (default: from --out's extension, else md on a terminal, json otherwise)\n");
    expect(run.stdout).toContain("  -o, --out FILE        write the report to FILE instead of stdout\n");
    expect(run.stdout).toContain("  -q, --quiet           no summary, progress or unreadable-input lines on stderr\n");
    expect(run.stdout).not.toContain("--format json|md ");
  });

  it("shows an absolute path as given and a relative one relative to the cwd", async () => {
    const page = join(dir, "page.txt");
    await writeFile(page, "trace IDs can only contain hex characters\n"); // hand-written: a piped error page
    const absolute = await runCli(["check", page, HEALTHY_ABSOLUTE, "--format", "json"]);
    expect(report(absolute.stdout).summary.inputErrors).toEqual([
      { file: page, message: "not a trace format: looks like plain text (an error page or log?)" },
    ]);
    expect(absolute.stderr.split("\n")[0]).toBe(`tracelint: ${page}: not a trace format: looks like plain text (an error page or log?)`);
    const relativePage = relative(process.cwd(), page);
    const run = await runCli(["check", relativePage, "--format", "json"]);
    expect(report(run.stdout).summary.inputErrors.map((e) => e.file)).toEqual([relativePage]);
    expect(relativePage.startsWith("..")).toBe(true); // the tmp dir is outside the repo: the relative form really differs
  });

  it("counts in the summary line are singular for one and plural otherwise", async () => {
    const one = await runCli(["check", single, "--format", "json"]);
    expect(one.code).toBe(0);
    expect(one.stderr).toBe("tracelint: 1 trace, 1 span, 1 service from 1 input; findings: 0 errors, 0 warnings, 0 info");
    const page = join(dir, "page.txt");
    const two = await runCli(["check", single, HEALTHY_ABSOLUTE, page, "--format", "json", "--fail-on", "never"]);
    expect(two.stderr.split("\n").at(-1)).toBe("tracelint: 61 traces, 461 spans, 5 services from 3 inputs; findings: 0 errors, 0 warnings, 0 info; 1 input error");
  });
});

describe("audit --tempo", () => {
  const NOW = new Date(Date.UTC(2026, 0, 1, 13));
  const WINDOW = ["--start", "2026-01-01T12:00:00Z", "--end", "2026-01-01T12:55:00Z"];
  let tempo: RunningTempoServer | undefined;
  afterEach(async () => {
    await tempo?.close();
    tempo = undefined;
  });

  /** Two SDK-recorded requests (gateway → orders) 30 minutes before NOW, served as Tempo would. */
  async function serve(options: Partial<TempoServerOptions>): Promise<RunningTempoServer> {
    const rec = new TraceRecorder({ seed: 16, epochMs: NOW.getTime() - 30 * 60_000 });
    const gateway = rec.tracer("gateway");
    const orders = rec.tracer("orders");
    for (let i = 0; i < 2; i++) {
      const root = gateway.startSpan("GET /checkout", { kind: ApiKind.SERVER, startTime: rec.time(i * 60_000) });
      const client = gateway.startSpan("POST", { kind: ApiKind.CLIENT, startTime: rec.time(i * 60_000 + 1) }, rec.within(root));
      orders.startSpan("POST /orders", { kind: ApiKind.SERVER, startTime: rec.time(i * 60_000 + 2) }, rec.extract(rec.inject(client))).end(rec.time(i * 60_000 + 5));
      client.end(rec.time(i * 60_000 + 6));
      root.end(rec.time(i * 60_000 + 7));
    }
    const spans = (await decodeInput(rec.toOtlpJson(), { name: "estate" })).spans;
    tempo = await startTempoServer({ spans, ...options });
    return tempo;
  }

  it("a wrong --tenant finds nothing: exit 2 and one line naming the tenant, the window and the path prefix, even with -q; no report", async () => {
    const server = await serve({ tenant: "acme" });
    const right = await runCli(["audit", "--tempo", server.url, "--tenant", "acme", ...WINDOW, "--format", "json"]);
    expect(report(right.stdout).summary).toMatchObject({ traces: 2, spans: 6 });
    const wrong = await runCli(["audit", "--tempo", server.url, "--tenant", "acme-prod", ...WINDOW, "--format", "json", "-q"]);
    expect(wrong).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'tracelint: Tempo found no traces in the window 2026-01-01T12:00:00.000Z – 2026-01-01T12:55:00.000Z for tenant "acme-prod": check --tenant (another tenant\'s traces are invisible), the window (--since or --start/--end) and the --tempo URL\'s path prefix; no report written',
    });
  });

  it("a base URL without Tempo's path prefix (404 on the service list) hints at the prefix", async () => {
    const server = await serve({ prefix: "/tempo" });
    const bare = `http://127.0.0.1:${server.port}`;
    const run = await runCli(["audit", "--tempo", bare, ...WINDOW, "--format", "json"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.split("\n").at(-1)).toBe(
      `tracelint: Tempo at ${bare} failed: unexpected HTTP 404 for the service list: 404 page not found; is the path prefix part of --tempo? (e.g. Grafana Cloud's Tempo is under /tempo: https://tempo-….grafana.net/tempo)`,
    );
    expect((await runCli(["audit", "--tempo", server.url, ...WINDOW, "--format", "json"])).code).toBe(0);
  });

  it("refuses nonsensical times up front, naming the option and the real conflict", async () => {
    const cases: [string[], string][] = [
      [["--timeout", "0s"], 'tracelint: --timeout must be from 1s to 10m (got "0s")'],
      [["--timeout", "500ms"], 'tracelint: --timeout must be from 1s to 10m (got "500ms")'],
      [["--timeout", "2h"], 'tracelint: --timeout must be from 1s to 10m (got "2h")'],
      [["--timeout", "soon"], 'tracelint: --timeout: not a duration: "soon" (use e.g. 30m, 1h, 6h, 2d)'],
      [["--start", "yesterday", "--end", "2026-01-01T00:00:00Z"], 'tracelint: --start: not an ISO-8601 time with a zone: "yesterday" (use e.g. 2026-01-01T12:00:00Z)'],
      [["--start", "2026-01-01T00:00:00Z", "--end", "now"], 'tracelint: --end: not an ISO-8601 time with a zone: "now" (use e.g. 2026-01-01T12:00:00Z)'],
      [["--since", "1h", "--start", "2026-01-01T00:00:00Z"], "tracelint: give either --since or --start/--end, not both"],
      [["--since", "1h", "--start", "2026-01-01T00:00:00Z", "--end", "2026-01-01T01:00:00Z"], "tracelint: give either --since or --start/--end, not both"],
    ];
    // Port 9 (discard) is never contacted: every case stops before the first request.
    for (const [extra, message] of cases) {
      const run = await runCli(["audit", "--tempo", "http://127.0.0.1:9", ...extra]);
      expect(run.stderr).toBe(message);
      expect(run.code).toBe(2);
    }
    // The storage audit words the conflict the same way.
    const storage = await runCli(["audit", "--blocks", "s3://bucket", "--since", "1h", "--start", "2026-01-01T00:00:00Z"]);
    expect(storage.stderr).toBe("tracelint: give either --since or --start/--end, not both");
  });

  it("--help lists the shared report options", async () => {
    const run = await runCli(["audit", "--help"]);
    expect(run.stdout).toContain("  -o, --out FILE        write the report to FILE instead of stdout\n");
    expect(run.stdout).toContain("  -q, --quiet           no progress or summary on stderr\n");
    expect(run.stdout).toContain("  --format json|md|html report format");
  });
});

describe("audit --otlp-archive --lateness", () => {
  const EPOCH = Date.UTC(2026, 4, 3, 14, 0, 0);
  const MINUTE = 60_000;
  let s3: RunningS3;
  const env = () => ({ AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1", AWS_ENDPOINT_URL_S3: s3.endpoint });
  beforeAll(async () => {
    // One SDK-recorded trace whose two spans were uploaded 35 minutes apart: the child when it
    // ended (minute 1), the root when the long request finished (minute 36), as awss3exporter would.
    s3 = await startS3rver(["archive"]);
    const store = s3.store("archive");
    const rec = new TraceRecorder({ seed: 17, epochMs: EPOCH });
    const web = rec.tracer("web");
    const root = web.startSpan("POST /export", { kind: ApiKind.SERVER, startTime: rec.time(MINUTE) });
    web.startSpan("prepare", { kind: ApiKind.INTERNAL, startTime: rec.time(MINUTE + 1_000) }, rec.within(root)).end(rec.time(MINUTE + 2_000));
    root.end(rec.time(36 * MINUTE));
    const [child, parent] = [rec.spans().find((s) => s.name === "prepare")!, rec.spans().find((s) => s.name === "POST /export")!];
    const key = (minute: number, name: string) => `long/${formatPartition("year=%Y/month=%m/day=%d/hour=%H/minute=%M", new Date(EPOCH + minute * MINUTE), "UTC")}/${name}`;
    await store.put(key(1, "traces_1.json"), rec.toOtlpJson([child]), { contentType: "application/json" });
    await store.put(key(36, "traces_2.binpb"), rec.toOtlpProtobuf([parent]), { contentType: "application/x-protobuf" });
  });
  afterAll(async () => {
    await s3?.stop();
  });

  const archive = (extra: string[]) =>
    runCli(
      ["audit", "--otlp-archive", "s3://archive/long", "--start", "2026-05-03T14:00:00Z", "--end", "2026-05-03T15:00:00Z", "--partition-timezone", "UTC", "--s3-path-style", "--format", "json", ...extra],
      env(),
    );

  it("the default 10m margin splits the trace; --lateness above its 35 minutes keeps it whole", async () => {
    const split = report((await archive([])).stdout);
    expect(split.summary).toMatchObject({ traces: 2, spans: 2 });
    expect(split.findings.map((f) => [f.ruleId, f.service, f.occurrences])).toContainEqual(["missing-root", "web", 1]);
    const whole = await archive(["--lateness", "40m"]);
    expect(whole.code).toBe(0);
    expect(report(whole.stdout).summary).toMatchObject({ traces: 1, spans: 2 });
    expect(report(whole.stdout).findings.filter((f) => f.ruleId === "missing-root" || f.ruleId === "orphan-span")).toEqual([]);
  });

  it("refuses a bad --lateness and --lateness with --blocks, and documents it in --help", async () => {
    expect((await archive(["--lateness", "long"])).stderr).toBe('tracelint: --lateness: not a duration: "long" (use e.g. 30m, 1h, 6h, 2d)');
    const blocks = await runCli(["audit", "--blocks", "s3://archive", "--lateness", "1h"], env());
    expect(blocks).toMatchObject({ code: 2, stderr: "tracelint: --lateness applies to --otlp-archive only" });
    const help = await runCli(["audit", "--otlp-archive", "s3://b", "--help"]);
    expect(help.stdout).toContain("  --lateness DURATION     --otlp-archive: a trace is analysed once no later upload can be within this of\n");
    expect(help.stdout).toContain("  -q, --quiet             no summary or unreadable-object lines on stderr\n");
    expect(help.stdout).not.toContain("--format json|md,");
  });

  it("--start names itself when it is not a time", async () => {
    const run = await runCli(["audit", "--otlp-archive", "s3://archive/long", "--start", "yesterday", "--end", "2026-05-03T15:00:00Z"], env());
    expect(run).toMatchObject({ code: 2, stderr: 'tracelint: --start: not an ISO-8601 time with a zone: "yesterday" (use e.g. 2026-01-01T12:00:00Z)' });
  });
});

describe("directories created one level at a time (mkdir -p never settles under /proc)", () => {
  it("the alert state file and the report directory are written below missing directories", async () => {
    const state = new FileAlertStateStore(join(dir, "state", "deep", "alerts.json"));
    await state.save(emptyAlertState());
    expect(await state.load()).toEqual(emptyAlertState());
    const reports = new FsObjectStore(join(dir, "reports"));
    await reports.put("orders/2026/01/01/run.json", new TextEncoder().encode("{}"));
    expect(await readFile(join(dir, "reports/orders/2026/01/01/run.json"), "utf8")).toBe("{}");
  });

  it.runIf(process.platform === "linux")("fail at once under /proc instead of hanging", async () => {
    const started = Date.now();
    await expect(new FileAlertStateStore("/proc/tracelint-qa-2/state/alerts.json").save(emptyAlertState())).rejects.toMatchObject({ code: "ENOENT" });
    await expect(new FsObjectStore("/proc/tracelint-qa-2").put("reports/a/run.json", new Uint8Array([1]))).rejects.toMatchObject({ code: "ENOENT" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe("Ctrl-C while a progress line is shown", () => {
  it("clears the line, then re-raises SIGINT with the default handling restored", () => {
    const events = new EventEmitter();
    const calls: string[] = [];
    const target = {
      pid: 4242,
      on: (e: "SIGINT", l: () => void) => events.on(e, l),
      off: (e: "SIGINT", l: () => void) => events.off(e, l),
      kill: (pid: number, signal: string) => calls.push(`kill ${pid} ${signal} (listeners: ${events.listenerCount("SIGINT")})`),
    };
    const interrupt = clearOnInterrupt(() => calls.push("clear"), target);
    interrupt.arm();
    interrupt.arm(); // redrawn: still one listener
    expect(events.listenerCount("SIGINT")).toBe(1);
    events.emit("SIGINT");
    expect(calls).toEqual(["clear", "kill 4242 SIGINT (listeners: 0)"]);
    interrupt.arm();
    interrupt.disarm(); // the line was cleared: Ctrl-C is Node's default again
    expect(events.listenerCount("SIGINT")).toBe(0);
  });

  it.runIf(process.platform === "linux" && existsSync("/usr/bin/script"))(
    "audit on a terminal (a pty via script(1)): ^C clears the progress line, says it was interrupted, and the exit status stays 130",
    async () => {
      // A "Tempo" that accepts connections and never answers: the audit sits in its first request.
      const silent = createServer(() => {});
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      try {
        const child = spawn("/usr/bin/script", ["-qfec", `exec "${process.execPath}" "${join(repoRoot, "bin/tracelint.js")}" audit --tempo ${url} --since 1h`, "/dev/null"], {
          cwd: dir,
          stdio: ["pipe", "pipe", "pipe"],
        });
        let out = "";
        let typed = false;
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString("utf8");
          // Ctrl-C typed on the terminal: the pty turns it into SIGINT for the foreground process.
          if (!typed && out.includes("discovering services…")) {
            typed = true;
            child.stdin.write("\x03");
          }
        });
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        // The line is cleared, then the interruption is one line (nothing was fetched: no report).
        const afterBar = out.slice(out.lastIndexOf("discovering services…") + "discovering services…".length);
        const cleared = /^(\^C)?(\r\x1b\[K)+tracelint: interrupted \(SIGINT\) before any trace was fetched: no report written\r?\n$/.test(afterBar);
        expect({ code, afterBar, cleared }).toEqual({ code: 130, afterBar, cleared: true });
      } finally {
        silent.close();
      }
    },
    20_000,
  );
});
