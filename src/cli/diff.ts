// `tracelint diff OLD.json NEW.json [--format md|json|html] [--out FILE] [--fail-on-new LEVEL] [--quiet]`:
// what changed between two runs of the same audit. JSON output is the newer report with its `delta`
// section filled in; Markdown and HTML render it.
import { parseArgs } from "node:util";
import { severityAtLeast, type Severity } from "../engine/rule";
import { diffReports, type DeltaSection } from "../report/diff";
import type { CliIO } from "./io";
import { UsageError } from "./inputs";
import { parseFormat, writeReport } from "./output";
import { readReportFile } from "./report-file";

export const DIFF_USAGE = `Usage: tracelint diff OLD.json NEW.json [options]

Compares two reports of the same audit: new, resolved and worsened findings (by fingerprint: rule,
service, subject, category), per-service score and coverage changes, per-edge coverage changes.

Options:
  --format md|json|html  output (default: from --out's extension, else md on a terminal, json otherwise);
                         json is NEW.json with a "delta" section
  -o, --out FILE         write to FILE instead of stdout
  --fail-on-new LEVEL    exit 1 when a new or worsened finding at or above LEVEL exists
                         (error|warning|info|never; default never)
  -q, --quiet            no summary line on stderr
  -h, --help             this help

Exit codes: 0, 1 (see --fail-on-new), 2 usage error or unreadable report.`;

export type FailOnNew = Severity | "never";

/** `--fail-on-new LEVEL` (diff, and check/audit with --baseline); default never. */
export function parseFailOnNew(value: string | undefined): FailOnNew {
  const level = value ?? "never";
  if (!["error", "warning", "info", "never"].includes(level)) throw new UsageError(`--fail-on-new must be error, warning, info or never (got ${JSON.stringify(level)})`);
  return level as FailOnNew;
}

/** True when a new or worsened finding is at or above `level`. */
export function failsOnNew(delta: DeltaSection, level: FailOnNew): boolean {
  if (level === "never") return false;
  return [...delta.findings.new, ...delta.findings.worsened].some((d) => severityAtLeast(d.severity, level));
}

/** One stderr line summarising a delta. */
export function deltaLine(delta: DeltaSection): string {
  const f = delta.findings;
  return `tracelint: ${f.new.length} new, ${f.worsened.length} worsened, ${f.resolved.length} resolved, ${f.unchanged} unchanged finding(s)`;
}

export async function diffCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: "string" },
      out: { type: "string", short: "o" },
      "fail-on-new": { type: "string" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout(`${DIFF_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError("diff needs OLD.json and NEW.json");
  const failOn = parseFailOnNew(values["fail-on-new"]);
  const format = parseFormat(values.format, io, values.out);
  const [before, after] = [await readReportFile(positionals[0]!), await readReportFile(positionals[1]!)];
  const delta = diffReports(before, after);
  await writeReport({ ...after, delta }, format, values.out, io);
  if (!values.quiet) io.stderr(deltaLine(delta));
  return failsOnNew(delta, failOn) ? 1 : 0;
}
