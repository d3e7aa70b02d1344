// `tracelint check PATH… [--config F] [--format json|md|html] [-o FILE] [--fail-on LEVEL] [-q] [--baseline OLD.json [--fail-on-new LEVEL]] [--max-spans N]`
import { getHeapStatistics } from "node:v8";
import { builtinRules } from "../../rules/index";
import { checkInputs } from "../pipeline/check";
import { collectInputs, UsageError } from "./inputs";
import { loadConfig } from "./config-file";
import { parseFailOn, parseFormat, writeReport, exitCodeFor, summaryLine, reportOptionsHelp, type ReportArgs } from "./output";
import type { CliIO } from "./io";
import { diffReports } from "../report/diff";
import type { Report } from "../report/schema";
import { deltaLine, failsOnNew, parseFailOnNew, type FailOnNew } from "./diff";
import { readReportFile } from "./report-file";

/** `--baseline OLD.json` and `--fail-on-new LEVEL`, shared by check and both audit commands. */
export const BASELINE_OPTIONS = {
  baseline: { type: "string" },
  "fail-on-new": { type: "string" },
} as const;

export const BASELINE_HELP = `  --baseline OLD.json   compare with an earlier report (e.g. the previous CI run): the report gets a
                        "delta" section (new, resolved, worsened findings; score and coverage changes)
  --fail-on-new LEVEL   with --baseline: exit 1 when a NEW or WORSENED finding at or above LEVEL exists
                        (error|warning|info|never; default never); combine with --fail-on never to gate
                        on regressions only`;

export interface Baseline {
  report: Report;
  path: string;
  failOnNew: FailOnNew;
}

/** Reads the baseline before any work, so a wrong path is a usage error, not a wasted audit. */
export async function loadBaseline(path: string | undefined, failOnNew: string | undefined): Promise<Baseline | undefined> {
  const level = parseFailOnNew(failOnNew);
  if (path === undefined) {
    if (failOnNew !== undefined) throw new UsageError("--fail-on-new needs --baseline OLD.json");
    return undefined;
  }
  return { report: await readReportFile(path), path, failOnNew: level };
}

/**
 * Attaches `delta` against the baseline (as `tracelint diff` does) and returns the exit code:
 * the --fail-on code, or 1 when --fail-on-new finds a new or worsened finding at its level.
 */
export function applyBaseline(report: Report, baseline: Baseline | undefined, exitCode: number, io: CliIO, quiet: boolean): number {
  if (!baseline || !report.delta) return exitCode;
  if (!quiet) io.stderr(`${deltaLine(report.delta)} since ${baseline.path}`);
  return failsOnNew(report.delta, baseline.failOnNew) ? 1 : exitCode;
}

/** The report with its delta against the baseline (the caller renders it). */
export function withDelta(report: Report, baseline: Baseline | undefined): Report {
  if (baseline) report.delta = diffReports(baseline.report, report);
  return report;
}

/**
 * Bytes of heap a held span is budgeted, on half the heap: spans with a dozen or more attributes
 * take 2–3 KiB once decoded (1 KiB let a 1 GB heap run out of memory below the limit), the rest of
 * the heap is for decoding, the rules and headroom.
 */
export const BYTES_PER_HELD_SPAN = 2048;

/** Half of Node's heap limit, at one budget per span. */
export function defaultMaxSpans(): number {
  return Math.floor((getHeapStatistics().heap_size_limit * 0.5) / BYTES_PER_HELD_SPAN);
}

function parseMaxSpans(value: string | undefined): number {
  if (value === undefined) return defaultMaxSpans();
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`--max-spans must be a positive whole number (got ${JSON.stringify(value)})`);
  return Number(value);
}

export const CHECK_USAGE = `Usage: tracelint check PATH... [options]

Lints trace files: OTLP/JSON, OTLP protobuf, Tempo API JSON (v1/v2) or protobuf, gzip'd or not.
PATH may be a file, a directory (read recursively) or - for stdin. A directory walk skips the
--out file (so that a second run does not read the first one's report); a file named explicitly is
always read. A file or directory that cannot be read is an input error and the rest is checked.

Options:
${reportOptionsHelp(21, "no summary, progress or unreadable-input lines on stderr")}
  --max-spans N         hold at most N spans (default: half of Node's heap at 2 KiB a span,
                        ${defaultMaxSpans().toLocaleString("en-US")} here). Every span is kept until all inputs are read (a trace
                        may span files); inputs past the limit, or that would go past it, are not
                        analysed, each is reported as an input error, and what was read is analysed. More heap for more spans:
                        NODE_OPTIONS=--max-old-space-size=MB
${BASELINE_HELP}

Exit codes: 0 clean, 1 findings at or above --fail-on (or new ones at --fail-on-new), 2 usage error or no input could be read.`;

export interface CheckArgs extends ReportArgs {
  paths: string[];
  maxSpans?: string;
}

export async function runCheck(args: CheckArgs, io: CliIO): Promise<number> {
  if (args.paths.length === 0) throw new UsageError("check needs at least one PATH (a file, a directory or -)");
  const failOn = parseFailOn(args.failOn);
  const format = parseFormat(args.format, io, args.out);
  const baseline = await loadBaseline(args.baseline, args.failOnNew);
  const maxSpans = parseMaxSpans(args.maxSpans);
  const config = await loadConfig(args.config, builtinRules);
  // A second `check DIR --out DIR/report.json` must not read the first one's report as a trace file.
  const inputs = await collectInputs(args.paths, { skip: args.out !== undefined ? [args.out] : [] });
  if (inputs.length === 0) throw new UsageError(`no trace files found in ${args.paths.join(", ")}`);
  const report = await checkInputs(inputs, config, {
    maxSpans,
    onInputError: (name, message) => {
      if (!args.quiet) io.stderr(`tracelint: ${name}: ${message}`);
    },
    onProgress: (p) => {
      if (!args.quiet && io.stderrIsTTY && p.inputsTotal && p.inputsTotal > 1) {
        io.progress(`reading ${p.inputsDone}/${p.inputsTotal} inputs, ${p.spans} spans`);
      }
    },
  });
  io.progress("");
  await writeReport(withDelta(report, baseline), format, args.out, io);
  if (!args.quiet) io.stderr(summaryLine(report));
  if (report.summary.traces === 0 && report.summary.inputErrors.length > 0) {
    io.stderr("tracelint: no input could be read");
    return 2;
  }
  return applyBaseline(report, baseline, exitCodeFor(report, failOn), io, args.quiet ?? false);
}
