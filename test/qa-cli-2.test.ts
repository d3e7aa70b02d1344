// Second QA pass over the CLI, pinned down: help texts that document the shared report options,
// input names shown as given, singular counts in the summary line, text and binary files named as
// such, audit argument checks and hints (tenant, path prefix), --lateness, directories created
// without `mkdir -p` (which never settles under /proc), diff --quiet, and Ctrl-C clearing the
// progress line. Trace data: recorded with the SDK (TraceRecorder) or the SDK-generated fixtures;
// the text "error page" below is hand-written (it is not trace data).
import { SpanKind as ApiKind } from "@opentelemetry/api";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { ReportSchema, type Report } from "../src/report/schema";
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
